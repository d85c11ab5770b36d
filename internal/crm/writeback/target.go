// Package writeback writes the owner of every routed, reassigned or escalated lead back to the CRM
// the lead came from (HubSpot's hubspot_owner_id, Salesforce's OwnerId). It follows the lead
// store's audit log as an outbox: one worker per CRM connection reads the feed from a stored cursor,
// batches the owner changes, writes them, and saves the cursor only once the CRM acknowledged the
// batch, so an owner reaches the CRM at least once and, after a restart, at most once more.
package writeback

import (
	"strings"
	"time"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// OwnerEventTypes are the audit events that give a lead a new owner.
var OwnerEventTypes = []string{lead.EventRouted, lead.EventReassigned, lead.EventEscalated}

// Record is one CRM record a lead stands for, parsed from its external id.
type Record struct {
	CRM    crm.Kind
	Object string // contact (HubSpot); lead or contact (Salesforce)
	ID     string
}

// ParseExternalID reads the CRM record of a lead's external id: hubspot:contact:<id>,
// salesforce:lead:<id> or salesforce:contact:<id>. Any other id (a form's, an import's) is no CRM
// record and ok is false.
func ParseExternalID(ext string) (Record, bool) {
	kind, object, id, ok := crm.ParseExternalID(ext)
	if !ok || strings.ContainsAny(id, ":/?#& ") {
		return Record{}, false
	}
	switch {
	case kind == crm.HubSpot && object == "contact", kind == crm.Salesforce && (object == "lead" || object == "contact"):
		return Record{CRM: kind, Object: object, ID: id}, true
	}
	return Record{}, false
}

// ExternalID is the external id of r, the inverse of ParseExternalID.
func (r Record) ExternalID() string { return crm.ExternalID(r.CRM, r.Object, r.ID) }

// OwnerChange is what one audit event says about a lead's owner.
type OwnerChange struct {
	AuditID int64
	LeadID  string
	At      time.Time
	// Owner is the member (or the team's manager, on escalation) the lead now belongs to.
	Owner string
	// Team is "namespace/name" of the owner's team; empty when the event does not say (a
	// reassignment stays within the lead's team: take the lead's).
	Team   string
	Policy string
}

// OwnerChangeOf reads the new owner from a routed, reassigned or escalated event; ok is false for
// any other event or one without an owner.
func OwnerChangeOf(ev store.AuditEvent) (OwnerChange, bool) {
	c := OwnerChange{AuditID: ev.ID, LeadID: ev.LeadID, At: ev.At, Team: str(ev.Data, "team"), Policy: str(ev.Data, "policy")}
	switch ev.Type {
	case lead.EventRouted:
		c.Owner = str(ev.Data, "owner")
	case lead.EventReassigned, lead.EventEscalated:
		c.Owner = str(ev.Data, "to")
	default:
		return OwnerChange{}, false
	}
	return c, c.Owner != "" && c.LeadID != ""
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

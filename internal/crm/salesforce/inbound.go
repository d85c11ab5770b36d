package salesforce

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

// Inbound is the Salesforce crm.Inbound for Outbound Messages.
//
// Ordering: each notification carries the record's fields as they were when it was queued, so an
// older message retried after a newer one would carry older data. The record's LastModifiedDate
// (inbound.lastModifiedField) is stored with the lead (crm.ModifiedAttribute) and an older record is
// skipped; include that field in the outbound message.
type Inbound struct {
	// Echoes tells leadops' own owner writes apart; nil: none are.
	Echoes crm.WrittenOwners
}

var _ crm.Inbound = (*Inbound)(nil)

// Records checks the organization and turns the notifications into records: the configured object's
// records (Lead by default) and logged calls (Tasks with TaskSubtype or Type Call, on their WhoId).
// Other sObject types are ignored.
func (s *Inbound) Records(_ context.Context, conn crm.Connection, d crm.Delivery) ([]crm.Record, error) {
	if conn.Inbound == nil {
		return nil, fmt.Errorf("%w: connection %s has no inbound configuration", crm.ErrUnauthenticated, conn.Name)
	}
	org, err := conn.Secret(crm.SecretOrganizationID)
	if err != nil {
		return nil, err
	}
	n, err := Parse(d.Body)
	if err != nil {
		return nil, err
	}
	if !SameOrganization(n.OrganizationID, org) {
		// The id is not secret, but an attacker's own org would have another: not ours, refused.
		return nil, fmt.Errorf("%w: the outbound message comes from another Salesforce organization", crm.ErrUnauthenticated)
	}
	modField := conn.Inbound.LastModifiedField
	if modField == "" {
		modField = "LastModifiedDate"
	}
	object, owner := conn.ObjectName(), conn.OwnerField()
	var recs []crm.Record
	for _, no := range n.Notification {
		so := no.SObject
		switch strings.ToLower(so.Type) {
		case object:
			r := crm.Record{ID: so.Fields["Id"], Properties: so.Fields}
			if t, err := parseTime(so.Fields[modField]); err == nil {
				r.ModifiedAt = t
			}
			if v, ok := so.Fields[owner]; ok && s.Echoes != nil && s.Echoes.IsEcho(conn.ExternalID(r.ID), owner, v) {
				r.OwnerEcho = true
			}
			recs = append(recs, r)
		case "task":
			if who := so.Fields["WhoId"]; who != "" && (so.Fields["TaskSubtype"] == "Call" || so.Fields["Type"] == "Call") {
				recs = append(recs, crm.Record{ID: who, CallID: so.Fields["Id"]})
			}
		}
	}
	return recs, nil
}

// parseTime reads a Salesforce dateTime (2026-03-02T09:30:00.000Z).
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("empty")
	}
	return time.Parse(time.RFC3339Nano, v)
}

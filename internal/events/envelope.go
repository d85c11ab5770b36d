package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// SpecVersion is the CloudEvents version of every envelope.
const SpecVersion = "1.0"

// DefaultSource is the CloudEvents source when the subscription file names none. Source and id
// together identify an event, and ids are audit ids, unique within one lead store: deployments with
// several stores sending to one receiver set a source per store ("/leadops/prod-eu").
const DefaultSource = "/leadops"

// Envelope is a CloudEvents 1.0 event in structured JSON mode.
type Envelope struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	Data            Data   `json:"data"`
}

// Data is an envelope's data: what happened to which lead, without personal data unless the
// subscription declares personalData (Actor and Lead are set only then).
type Data struct {
	LeadID string `json:"leadId"`
	// Event is the audit event type ("routed"), the type's last segment.
	Event string `json:"event"`
	// Reason is the audit entry's reason: the router's explanation, or what the rep gave for a
	// rejection, disqualification or loss (which goes back to marketing).
	Reason string `json:"reason,omitempty"`
	// Details are the allowlisted keys of the audit entry's data (AllowedData).
	Details map[string]any `json:"details,omitempty"`
	// Actor is who made the change as the audit log records it (an API token's name, a rep's handle,
	// "router"): only with personalData, since an API caller may name itself after a person.
	Actor string `json:"actor,omitempty"`
	// Lead is the lead's personal data, only with personalData.
	Lead *PersonalLead `json:"lead,omitempty"`
}

// NewEnvelope builds the envelope of audit event ev. personal is the lead for a subscription that
// declared personalData, nil otherwise: with nil, nothing but allowlisted data leaves the store.
func NewEnvelope(source string, ev store.AuditEvent, personal *lead.Lead) Envelope {
	if source == "" {
		source = DefaultSource
	}
	d := Data{LeadID: ev.LeadID, Event: ev.Type, Reason: publicReason(ev.Type, ev.Reason), Details: AllowedData(ev.Type, ev.Data)}
	if personal != nil {
		d.Actor, d.Lead, d.Reason = ev.Actor, Personal(personal), ev.Reason
	}
	return Envelope{
		SpecVersion: SpecVersion, ID: strconv.FormatInt(ev.ID, 10), Source: source,
		Type: CloudEventType(ev.Type), Subject: ev.LeadID, Time: ev.At.UTC().Format(time.RFC3339Nano),
		DataContentType: "application/json", Data: d,
	}
}

// accountMatchNote starts the part of a routed reason the router appends for an account-owner match:
// the matched domain or company key, left out for the same reason as the "account" data key.
const accountMatchNote = "; matched account "

func publicReason(typ, reason string) string {
	if typ == lead.EventRouted {
		reason, _, _ = strings.Cut(reason, accountMatchNote)
	}
	return reason
}

// Body renders an envelope as the request body.
func (e Envelope) Body() ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("rendering event %s of lead %s: %w", e.ID, e.Subject, err)
	}
	return b, nil
}

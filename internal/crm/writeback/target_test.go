package writeback

import (
	"testing"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func TestParseExternalID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Record
		ok   bool
	}{
		{"hubspot:contact:123", Record{crm.HubSpot, "contact", "123"}, true},
		{"salesforce:lead:00Q5g00000AbCdE", Record{crm.Salesforce, "lead", "00Q5g00000AbCdE"}, true},
		{"salesforce:contact:0035g00000XyZ", Record{crm.Salesforce, "contact", "0035g00000XyZ"}, true},
		{"hubspot:deal:1", Record{}, false},
		{"salesforce:account:1", Record{}, false},
		{"hubspot:contact:", Record{}, false},
		{"hubspot:contact:1/2", Record{}, false},
		{"form-4711", Record{}, false},
		{"", Record{}, false},
		{"HubSpot:contact:1", Record{}, false},
	} {
		got, ok := ParseExternalID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseExternalID(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.ExternalID() != tc.in {
			t.Errorf("%+v.ExternalID() = %q, want %q", got, got.ExternalID(), tc.in)
		}
	}
}

func TestOwnerChangeOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   store.AuditEvent
		want OwnerChange
		ok   bool
	}{
		{"routed", store.AuditEvent{ID: 7, LeadID: "l1", Type: lead.EventRouted,
			Data: map[string]any{"owner": "ana", "team": "sales/emea", "policy": "sales/p"}},
			OwnerChange{AuditID: 7, LeadID: "l1", Owner: "ana", Team: "sales/emea", Policy: "sales/p"}, true},
		{"reassigned takes to, no team", store.AuditEvent{ID: 8, LeadID: "l1", Type: lead.EventReassigned,
			Data: map[string]any{"from": "ana", "to": "bo", "policy": "sales/p"}},
			OwnerChange{AuditID: 8, LeadID: "l1", Owner: "bo", Policy: "sales/p"}, true},
		{"escalated", store.AuditEvent{ID: 9, LeadID: "l1", Type: lead.EventEscalated,
			Data: map[string]any{"from": "bo", "to": "boss", "team": "sales/emea", "policy": "sales/p"}},
			OwnerChange{AuditID: 9, LeadID: "l1", Owner: "boss", Team: "sales/emea", Policy: "sales/p"}, true},
		{"touched", store.AuditEvent{ID: 10, LeadID: "l1", Type: lead.EventTouched, Data: map[string]any{"owner": "ana"}}, OwnerChange{}, false},
		{"routed without owner", store.AuditEvent{ID: 11, LeadID: "l1", Type: lead.EventRouted}, OwnerChange{AuditID: 11, LeadID: "l1"}, false},
	} {
		got, ok := OwnerChangeOf(tc.ev)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: OwnerChangeOf = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

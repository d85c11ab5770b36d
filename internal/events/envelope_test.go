package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func TestAllowedData(t *testing.T) {
	due := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		typ  string
		data map[string]any
		want map[string]any
	}{
		{lead.EventCreated, map[string]any{"source": "webinar", "campaign": "q4", "email": "a@b.c"},
			map[string]any{"source": "webinar", "campaign": "q4"}},
		{lead.EventRouted, map[string]any{"policy": "sales/inbound", "owner": "alice", "team": "sales/emea", "rule": "emea",
			"account": map[string]any{"domain": "acme.com"}, "future": "x"},
			map[string]any{"policy": "sales/inbound", "owner": "alice", "team": "sales/emea", "rule": "emea"}},
		{lead.EventBreached, map[string]any{"sla": "first_touch", "due": due, "owner": "alice", "policy": "p/q"},
			map[string]any{"sla": "first_touch", "due": due, "owner": "alice", "policy": "p/q"}},
		{lead.EventWon, map[string]any{"from": "accepted", "to": "won", "amount": 1200.0},
			map[string]any{"from": "accepted", "to": "won", "amount": 1200.0}},
		{lead.EventTouched, map[string]any{"name": "Jane"}, nil},
		{lead.EventUpdated, map[string]any{"version": 3}, nil}, // not a delivered type: nothing allowed
	} {
		if got := AllowedData(tc.typ, tc.data); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AllowedData(%s) = %v, want %v", tc.typ, got, tc.want)
		}
	}
}

func TestEveryTypeHasAnAllowlist(t *testing.T) {
	for _, typ := range Types {
		if _, ok := allowed[typ]; !ok {
			t.Errorf("type %s has no allowlist entry", typ)
		}
	}
}

func TestTypes(t *testing.T) {
	for _, tc := range []struct{ in, audit string }{
		{"io.leadops.lead.routed", "routed"},
		{"io.leadops.lead.updated", ""}, // not delivered
		{"routed", ""},
		{"com.example.routed", ""},
	} {
		if got := AuditType(tc.in); got != tc.audit {
			t.Errorf("AuditType(%q) = %q, want %q", tc.in, got, tc.audit)
		}
	}
	if len(Types) != 13 || !KnownType("escalated") || !KnownType("erased") || KnownType("queued") {
		t.Errorf("Types = %v", Types)
	}
}

func TestNewEnvelope(t *testing.T) {
	at := time.Date(2026, 11, 30, 21, 5, 7, 123000000, time.FixedZone("CET", 3600))
	ev := store.AuditEvent{ID: 42, LeadID: "0193c0de-0000-7000-8000-000000000001", At: at, Actor: "jane.doe@example.com",
		Type: lead.EventRouted, Reason: "rule emea matched; matched account acme.com by domain 'acme.com'",
		Data: map[string]any{"policy": "sales/inbound", "owner": "alice", "account": map[string]any{"domain": "acme.com"}}}
	l := &lead.Lead{ID: ev.LeadID, Email: "jane@acme.com", Name: "Jane Roe", Phone: "+4930123456", Company: "Acme"}

	plain := NewEnvelope("", ev, nil)
	want := Envelope{SpecVersion: "1.0", ID: "42", Source: "/leadops", Type: "io.leadops.lead.routed", Subject: ev.LeadID,
		Time: "2026-11-30T20:05:07.123Z", DataContentType: "application/json",
		Data: Data{LeadID: ev.LeadID, Event: "routed", Reason: "rule emea matched",
			Details: map[string]any{"policy": "sales/inbound", "owner": "alice"}}}
	if !reflect.DeepEqual(plain, want) {
		t.Fatalf("envelope = %+v\nwant       %+v", plain, want)
	}
	body, err := plain.Body()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"jane", "acme", "Roe", "+4930"} {
		if strings.Contains(strings.ToLower(string(body)), strings.ToLower(s)) {
			t.Errorf("body without personalData holds %q: %s", s, body)
		}
	}

	full := NewEnvelope("/leadops/prod", ev, l)
	b, _ := full.Body()
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	data := got["data"].(map[string]any)
	pl := data["lead"].(map[string]any)
	if got["source"] != "/leadops/prod" || data["actor"] != ev.Actor || pl["email"] != l.Email || pl["name"] != l.Name ||
		pl["phone"] != l.Phone || data["reason"] != ev.Reason {
		t.Errorf("personal envelope = %s", b)
	}
}

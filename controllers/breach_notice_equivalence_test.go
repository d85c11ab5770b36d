package controllers

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/lead"
)

// TestBreachNoticeFromAuditLogMatchesNotifier: the breach notices that event delivery rebuilds from
// the audit log (events.BreachNotice, BreachNoticesFromAuditLog) are byte for byte the notices the
// router's in-memory notifier sends, for a reassignment and an escalation, so the receivers of a
// LeadPolicy's breach webhook see no difference when the path changes.
func TestBreachNoticeFromAuditLogMatchesNotifier(t *testing.T) {
	hook := newHookReceiver(t)
	e := startEnv(t, "sqlite", testNow)
	mustCreate(t, e.ns, slaTeam)
	mustCreate(t, e.ns, webhookSecret("sla-webhook", hook.srv.URL))
	mustCreate(t, e.ns, webhookPolicy)
	l := createLead(t, e.apiClient(), personal)
	e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))
	e.clock.Set(testNow.Add(time.Hour))
	e.eventuallyLead(l.ID, "reassigned to rep-b", ownedBy("rep-b"))
	hook.waitNotices(t, 1)
	e.clock.Set(testNow.Add(2*time.Hour + 30*time.Second))
	e.eventuallyLead(l.ID, "escalated to sdr-lead", func(l *lead.Lead) bool { return l.Owner == "sdr-lead" })
	hook.waitNotices(t, 2)

	audit, err := e.store.Audit(context.Background(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rebuilt []string
	for _, ev := range audit {
		if ev.Type == lead.EventBreached {
			b, err := json.Marshal(events.BreachNotice(ev, audit))
			if err != nil {
				t.Fatal(err)
			}
			rebuilt = append(rebuilt, string(b))
		}
	}
	sent := hook.got()
	if len(rebuilt) != len(sent) {
		t.Fatalf("%d breach entries, %d notices", len(rebuilt), len(sent))
	}
	for i := range sent {
		if rebuilt[i] != sent[i] {
			t.Errorf("notice %d:\nsent    %s\nrebuilt %s", i, sent[i], rebuilt[i])
		}
	}
}

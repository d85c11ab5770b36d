package events

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/webhook"
)

func TestBreachNotice(t *testing.T) {
	at := time.Date(2026, 11, 30, 14, 2, 0, 0, time.UTC)
	due := at.Add(-2 * time.Minute)
	breach := func(id int64, sla string, due any) store.AuditEvent {
		return store.AuditEvent{ID: id, LeadID: leadID, At: at, Type: lead.EventBreached,
			Data: map[string]any{"sla": sla, "due": due, "owner": "alice", "policy": "sales/inbound"}}
	}
	earlier := store.AuditEvent{ID: 2, LeadID: leadID, At: at.Add(-time.Hour), Type: lead.EventReassigned, Data: map[string]any{"reassignment": 1}}
	for _, tc := range []struct {
		name  string
		ev    store.AuditEvent
		audit []store.AuditEvent
		want  webhook.Breach
	}{
		{"reassigned in the same pass", breach(5, "first_touch", due),
			[]store.AuditEvent{earlier, breach(5, "first_touch", due),
				{ID: 6, At: at, Type: lead.EventReassigned, Data: map[string]any{"reassignment": 2.0}}},
			webhook.Breach{Policy: "sales/inbound", LeadID: leadID, SLA: "first_touch", Due: due, DetectedAt: at, Action: "reassigned", Reassignment: 2}},
		{"both SLAs, escalated, due read back as a string", breach(6, "acceptance", due.Format(time.RFC3339Nano)),
			[]store.AuditEvent{earlier, breach(5, "first_touch", due), breach(6, "acceptance", due),
				{ID: 7, At: at, Type: lead.EventEscalated}},
			webhook.Breach{Policy: "sales/inbound", LeadID: leadID, SLA: "acceptance", Due: due, DetectedAt: at, Action: "escalated", Reassignment: 1}},
		{"nothing done; a later pass's reassignment is not this breach's", breach(5, "first_touch", due),
			[]store.AuditEvent{breach(5, "first_touch", due), {ID: 9, At: at.Add(time.Hour), Type: lead.EventReassigned}},
			webhook.Breach{Policy: "sales/inbound", LeadID: leadID, SLA: "first_touch", Due: due, DetectedAt: at}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := BreachNotice(tc.ev, tc.audit); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("BreachNotice = %+v\nwant          %+v", got, tc.want)
			}
		})
	}
}

// TestBreachNoticeSubscription: a LeadPolicy's breach webhook as a subscription sends the breach
// webhook's own body and headers, for its policy only, and skips what happened before it was set up.
func TestBreachNoticeSubscription(t *testing.T) {
	feed := newMemFeed()
	old := testNow.Add(-48 * time.Hour)
	due := testNow.Add(-10 * time.Minute)
	feed.add(
		store.AuditEvent{LeadID: leadID, At: old, Actor: "router", Type: lead.EventBreached,
			Data: map[string]any{"sla": "first_touch", "due": old, "owner": "alice", "policy": "sales/inbound"}},
		store.AuditEvent{LeadID: leadID, At: testNow, Actor: "router", Type: lead.EventBreached,
			Data: map[string]any{"sla": "acceptance", "due": due, "owner": "alice", "policy": "sales/inbound"}},
		store.AuditEvent{LeadID: leadID, At: testNow, Actor: "router", Type: lead.EventReassigned,
			Data: map[string]any{"policy": "sales/inbound", "from": "alice", "to": "bob", "reassignment": 1}},
		store.AuditEvent{LeadID: "0193c0de-0000-7000-8000-000000000009", At: testNow, Actor: "router", Type: lead.EventBreached,
			Data: map[string]any{"sla": "first_touch", "due": due, "owner": "carol", "policy": "sales/outbound"}},
	)
	r := newReceiver(t, nil)
	sub := Subscription{Name: "leadpolicy/sales/inbound", URL: r.url(t), Format: FormatBreachNotice,
		Types: []string{lead.EventBreached}, Policies: []string{"sales/inbound"}, NotBefore: testNow.Add(-time.Hour)}
	o := testOptions(&sleeps{})
	start(t, NewDeliverer(sub, feed, feed, o))
	waitFor(t, "the cursor at the end", func() bool { return feed.cursor(Consumer(sub.Name)) == "4" })

	reqs := r.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d notices, want 1 (the old breach skipped, the other policy's filtered)", len(reqs))
	}
	want := webhook.Breach{Policy: "sales/inbound", LeadID: leadID, SLA: "acceptance", Due: due, DetectedAt: testNow, Action: "reassigned", Reassignment: 1}
	wantBody, _ := json.Marshal(want)
	if string(reqs[0].body) != string(wantBody) {
		t.Errorf("body %s\nwant %s", reqs[0].body, wantBody)
	}
	h := reqs[0].header
	if h.Get("Idempotency-Key") != want.Key() || h.Get("Content-Type") != "application/json" || h.Get(HeaderSignature) != "" {
		t.Errorf("headers %v", h)
	}
	if v := testutil.ToFloat64(o.Metrics.Deliveries.WithLabelValues(sub.Name, "skipped")); v != 1 {
		t.Errorf("skipped %v", v)
	}
}

// TestServiceSource: subscriptions from a source start, and stop when the source no longer lists them.
func TestServiceSource(t *testing.T) {
	feed := newMemFeed()
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "router", Type: lead.EventBreached,
		Data: map[string]any{"sla": "first_touch", "due": testNow, "policy": "sales/inbound"}})
	r := newReceiver(t, func(int, string) (int, http.Header) { return http.StatusOK, nil })
	listed := make(chan bool, 1)
	listed <- true
	on := true
	o := testOptions(&sleeps{})
	svc := NewService("", feed, feed, o, nil, 10*time.Millisecond)
	svc.AddSource("policies", func(context.Context) ([]Subscription, error) {
		select {
		case on = <-listed:
		default:
		}
		if !on {
			return nil, nil
		}
		return []Subscription{{Name: "leadpolicy/sales/inbound", URL: r.url(t), Format: FormatBreachNotice,
			Types: []string{lead.EventBreached}, Policies: []string{"sales/inbound"}}}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Start(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "the notice", func() bool { return len(r.acknowledged()) == 1 })
	listed <- false
	waitFor(t, "the subscription's gauges to go", func() bool { return testutil.CollectAndCount(o.Metrics.Lag) == 0 })
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "router", Type: lead.EventBreached,
		Data: map[string]any{"sla": "acceptance", "due": testNow, "policy": "sales/inbound"}})
	time.Sleep(50 * time.Millisecond)
	if n := len(r.requests()); n != 1 {
		t.Errorf("a removed subscription sent %d notices", n)
	}
}

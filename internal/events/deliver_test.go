package events

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const leadID = "0193c0de-0000-7000-8000-000000000001"

var (
	secretA = "whsec_" + base64.StdEncoding.EncodeToString([]byte("first-signing-secret-32-bytes..."))
	secretB = "whsec_" + base64.StdEncoding.EncodeToString([]byte("second-signing-secret-32-bytes.."))
)

// personLead is a lead whose personal fields must never reach a subscription without personalData.
func personLead() *lead.Lead {
	return &lead.Lead{ID: leadID, Email: "jane.roe@example.org", Name: "Jane Roe", Phone: "+4930123456",
		Company: "Roe Consulting", Domain: "example.org", Stage: lead.StageRouted, Owner: "alice",
		Team: "sales/emea", Policy: "sales/inbound"}
}

var personal = []string{"jane", "roe", "+4930123456", "example.org", "consulting"}

// lifecycle is the audit log of personLead from creation to a breach and its reassignment, with the
// data the store and the router write.
func lifecycle() []store.AuditEvent {
	at := testNow.Add(-time.Hour)
	return []store.AuditEvent{
		{LeadID: leadID, At: at, Actor: "jane.roe@example.org", Type: lead.EventCreated, Data: map[string]any{"source": "webinar"}},
		{LeadID: leadID, At: at, Actor: "router", Type: lead.EventUpdated, Data: map[string]any{"version": 2}},
		{LeadID: leadID, At: at, Actor: "router", Type: lead.EventQualified, Reason: "passed the qualification gate of policy sales/inbound",
			Data: map[string]any{"policy": "sales/inbound", "generation": 3}},
		{LeadID: leadID, At: at, Actor: "router", Type: lead.EventRouted, Reason: "rule emea matched; matched account example.org by domain 'example.org'",
			Data: map[string]any{"policy": "sales/inbound", "rule": "emea", "team": "sales/emea", "owner": "alice",
				"account": map[string]any{"domain": "example.org"}}},
		{LeadID: leadID, At: at.Add(30 * time.Minute), Actor: "router", Type: lead.EventBreached, Reason: "first-touch SLA breached",
			Data: map[string]any{"sla": "first_touch", "due": at.Add(15 * time.Minute), "owner": "alice", "policy": "sales/inbound"}},
		{LeadID: leadID, At: at.Add(30 * time.Minute), Actor: "router", Type: lead.EventReassigned, Reason: "reassigned from alice to bob",
			Data: map[string]any{"policy": "sales/inbound", "rule": "emea", "from": "alice", "to": "bob", "reassignment": 1}},
	}
}

func testSub(t *testing.T, r *receiver, personalData bool) Subscription {
	return Subscription{Name: "crm", Source: "/leadops/test", URL: r.url(t), PersonalData: personalData,
		Secrets: []Secret{mustSecret(t, secretA), mustSecret(t, secretB)}}
}

// TestDeliverCloudEvents: every delivered type arrives once, in order, as a CloudEvents 1.0 body that
// the reference Standard Webhooks library verifies with either of the two rotating secrets, and with
// none of the lead's personal data.
func TestDeliverCloudEvents(t *testing.T) {
	feed := newMemFeed()
	feed.leads[leadID] = personLead()
	feed.add(lifecycle()...)
	r := newReceiver(t, nil)
	sl := &sleeps{}
	d := NewDeliverer(testSub(t, r, false), feed, feed, testOptions(sl))
	start(t, d)
	waitFor(t, "five deliveries", func() bool { return len(r.acknowledged()) == 5 })
	waitFor(t, "the cursor after the last event", func() bool { return feed.cursor(Consumer("crm")) == "6" })

	if got, want := r.acknowledged(), []string{"1", "3", "4", "5", "6"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered ids %v, want %v (updated is not delivered)", got, want)
	}
	wantTypes := []string{"created", "qualified", "routed", "breached", "reassigned"}
	for i, q := range r.requests() {
		var ce map[string]any
		if err := json.Unmarshal(q.body, &ce); err != nil {
			t.Fatalf("body %d is not JSON: %v", i, err)
		}
		for _, attr := range []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype"} {
			if s, _ := ce[attr].(string); s == "" {
				t.Errorf("body %d: attribute %s missing or empty: %s", i, attr, q.body)
			}
		}
		if ce["specversion"] != "1.0" || ce["id"] != q.header.Get(HeaderID) || ce["source"] != "/leadops/test" ||
			ce["type"] != "io.leadops.lead."+wantTypes[i] || ce["subject"] != leadID || ce["datacontenttype"] != "application/json" {
			t.Errorf("body %d: %s", i, q.body)
		}
		if _, err := time.Parse(time.RFC3339, ce["time"].(string)); err != nil {
			t.Errorf("time: %v", err)
		}
		if _, ok := ce["data"].(map[string]any); !ok {
			t.Errorf("body %d has no data object", i)
		}
		if ct := q.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
			t.Errorf("Content-Type %q", ct)
		}
		if ts := q.header.Get(HeaderTimestamp); ts != strconv.FormatInt(testNow.Unix(), 10) {
			t.Errorf("webhook-timestamp %q, want the injected clock's %d", ts, testNow.Unix())
		}
		for _, s := range []string{secretA, secretB} {
			wh, _ := standardwebhooks.NewWebhook(s)
			if err := wh.VerifyIgnoringTimestamp(q.body, q.header); err != nil {
				t.Errorf("body %d: the reference library rejects the signature: %v", i, err)
			}
		}
		low := strings.ToLower(string(q.body))
		for _, p := range personal {
			if strings.Contains(low, strings.ToLower(p)) {
				t.Errorf("body %d holds personal data %q: %s", i, p, q.body)
			}
		}
	}
	if v := testutil.ToFloat64(d.o.Metrics.Deliveries.WithLabelValues("crm", "delivered")); v != 5 {
		t.Errorf("delivered metric %v", v)
	}
	if v := testutil.ToFloat64(d.o.Metrics.Lag.WithLabelValues("crm")); v != 0 {
		t.Errorf("lag %v once caught up", v)
	}
}

func TestDeliverPersonalData(t *testing.T) {
	feed := newMemFeed()
	feed.leads[leadID] = personLead()
	feed.add(lifecycle()[0])
	r := newReceiver(t, nil)
	start(t, NewDeliverer(testSub(t, r, true), feed, feed, testOptions(&sleeps{})))
	waitFor(t, "one delivery", func() bool { return len(r.acknowledged()) == 1 })
	var ce struct {
		Data Data `json:"data"`
	}
	if err := json.Unmarshal(r.requests()[0].body, &ce); err != nil {
		t.Fatal(err)
	}
	l := ce.Data.Lead
	if l == nil || l.Email != "jane.roe@example.org" || l.Name != "Jane Roe" || l.Phone != "+4930123456" ||
		l.Company != "Roe Consulting" || ce.Data.Actor != "jane.roe@example.org" {
		t.Fatalf("data = %+v, lead %+v", ce.Data, l)
	}
}

// TestRetries: 500s, a 429 with Retry-After and a dropped connection are retried until acknowledged;
// each event is acknowledged exactly once, in order, and the waits follow the backoff and Retry-After.
func TestRetries(t *testing.T) {
	feed := newMemFeed()
	for _, typ := range []string{lead.EventCreated, lead.EventTouched, lead.EventAccepted} {
		feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: typ})
	}
	script := []int{500, 500, 200, 429, 204, -1, 503, 200} // -1: connection dropped
	r := newReceiver(t, func(n int, _ string) (int, http.Header) {
		h := http.Header{}
		if n == 3 {
			h.Set("Retry-After", "7")
		}
		if n == 6 {
			h.Set("Retry-After", testNow.Add(3*time.Hour).Format(http.TimeFormat)) // past MaxRetryAfter
		}
		return script[n], h
	})
	sl := &sleeps{}
	o := testOptions(sl)
	o.MaxRetryAfter = 2 * time.Hour
	d := NewDeliverer(testSub(t, r, false), feed, feed, o)
	start(t, d)
	waitFor(t, "three acknowledgements", func() bool { return len(r.acknowledged()) == 3 })
	waitFor(t, "the cursor", func() bool { return feed.cursor(Consumer("crm")) == "3" })

	var ids []string
	for _, q := range r.requests() {
		ids = append(ids, q.header.Get(HeaderID))
	}
	if want := []string{"1", "1", "1", "2", "2", "3", "3", "3"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("attempts by id %v, want %v", ids, want)
	}
	if got := r.acknowledged(); !reflect.DeepEqual(got, []string{"1", "2", "3"}) {
		t.Fatalf("acknowledged %v", got)
	}
	// Jitter 0.5 of 1s·2^(n-1): 500ms, 1s; Retry-After 7s; backoff restarts per event: 500ms; the 3h
	// Retry-After capped at 2h.
	if got, want := sl.get(), []time.Duration{500 * time.Millisecond, time.Second, 7 * time.Second, 500 * time.Millisecond, 2 * time.Hour}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	m := d.o.Metrics.Attempts
	for out, want := range map[Outcome]float64{OutcomeServerError: 3, OutcomeRateLimited: 1, OutcomeNetwork: 1, OutcomeDelivered: 3} {
		if v := testutil.ToFloat64(m.WithLabelValues("crm", string(out))); v != want {
			t.Errorf("attempts{%s} = %v, want %v", out, v, want)
		}
	}
}

// TestClientErrorIsRetried: a 400 does not drop the event (at least once): it is retried until the
// receiver takes it.
func TestClientErrorIsRetried(t *testing.T) {
	feed := newMemFeed()
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	r := newReceiver(t, func(n int, _ string) (int, http.Header) {
		if n < 2 {
			return http.StatusBadRequest, nil
		}
		return http.StatusOK, nil
	})
	start(t, NewDeliverer(testSub(t, r, false), feed, feed, testOptions(&sleeps{})))
	waitFor(t, "the acknowledgement", func() bool { return len(r.acknowledged()) == 1 })
	if n := len(r.requests()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

// TestGoneDisables: a 410 stops the subscription, which stays disabled across a restart until its
// target changes; then delivery resumes with the refused event.
func TestGoneDisables(t *testing.T) {
	feed := newMemFeed()
	for range 3 {
		feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	}
	gone := true
	r := newReceiver(t, func(n int, id string) (int, http.Header) {
		if id == "2" && gone {
			return http.StatusGone, nil
		}
		return http.StatusOK, nil
	})
	sub := testSub(t, r, false)
	o := testOptions(&sleeps{})
	stop := start(t, NewDeliverer(sub, feed, feed, o))
	waitFor(t, "the disabled gauge", func() bool { return testutil.ToFloat64(o.Metrics.Disabled.WithLabelValues("crm")) == 1 })
	stop()
	if got := feed.cursor(Consumer("crm")); got != "1" {
		t.Errorf("cursor %q after the 410, want 1", got)
	}
	if got := feed.cursor(DisabledKey("crm")); got != sub.Target() {
		t.Errorf("disabled mark %q, want the target", got)
	}
	if v := testutil.ToFloat64(o.Metrics.Deliveries.WithLabelValues("crm", "gone")); v != 1 {
		t.Errorf("gone deliveries %v", v)
	}

	// Restart, same subscription: nothing is sent.
	before := len(r.requests())
	o2 := testOptions(&sleeps{})
	stop = start(t, NewDeliverer(sub, feed, feed, o2))
	waitFor(t, "the disabled gauge after restart", func() bool { return testutil.ToFloat64(o2.Metrics.Disabled.WithLabelValues("crm")) == 1 })
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	time.Sleep(100 * time.Millisecond)
	stop()
	if n := len(r.requests()); n != before {
		t.Fatalf("a disabled subscription sent %d requests", n-before)
	}

	// A changed target enables it again: event 2 is delivered, then 3 and 4.
	r.mu.Lock()
	gone = false
	r.mu.Unlock()
	sub.Types = []string{lead.EventTouched}
	o3 := testOptions(&sleeps{})
	start(t, NewDeliverer(sub, feed, feed, o3))
	waitFor(t, "delivery after re-enabling", func() bool { return len(r.acknowledged()) == 4 })
	if got := r.acknowledged(); !reflect.DeepEqual(got, []string{"1", "2", "3", "4"}) {
		t.Errorf("acknowledged %v", got)
	}
	if feed.cursor(DisabledKey("crm")) != "" || testutil.ToFloat64(o3.Metrics.Disabled.WithLabelValues("crm")) != 0 {
		t.Error("the subscription is still marked disabled")
	}
}

// TestRestartResumes: a new Deliverer starts after the saved cursor; the one event in flight when the
// old one stopped is the only one sent again.
func TestRestartResumes(t *testing.T) {
	feed := newMemFeed()
	for range 3 {
		feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	}
	inFlight := make(chan struct{})
	release := make(chan struct{})
	r := newReceiver(t, nil)
	r.respond = func(n int, id string) (int, http.Header) {
		if id == "4" && n == 3 { // the first attempt at event 4 hangs until the Deliverer stops
			r.mu.Unlock()
			close(inFlight)
			<-release
			r.mu.Lock()
			return http.StatusOK, nil
		}
		return http.StatusOK, nil
	}
	o := testOptions(&sleeps{})
	stop := start(t, NewDeliverer(testSub(t, r, false), feed, feed, o))
	waitFor(t, "three deliveries", func() bool { return len(r.acknowledged()) == 3 })
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventAccepted},
		store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventWon})
	<-inFlight
	stop() // cancels the attempt at event 4: not acknowledged as far as the Deliverer knows
	close(release)
	if got := feed.cursor(Consumer("crm")); got != "3" {
		t.Fatalf("cursor %q, want 3", got)
	}
	start(t, NewDeliverer(testSub(t, r, false), feed, feed, testOptions(&sleeps{})))
	waitFor(t, "events 4 and 5", func() bool { return slices.Contains(r.acknowledged(), "5") })
	var ids []string
	for _, q := range r.requests() {
		ids = append(ids, q.header.Get(HeaderID))
	}
	if want := []string{"1", "2", "3", "4", "4", "5"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("requests by id %v, want %v (only the in-flight event again)", ids, want)
	}
}

// TestPolicyFilter: only the leads of the subscription's policies; an event whose data names no
// policy is judged by the lead's.
func TestPolicyFilter(t *testing.T) {
	feed := newMemFeed()
	other := "0193c0de-0000-7000-8000-000000000002"
	feed.leads[leadID] = personLead()
	feed.leads[other] = &lead.Lead{ID: other, Policy: "sales/outbound"}
	feed.add(
		store.AuditEvent{LeadID: leadID, At: testNow, Actor: "router", Type: lead.EventRouted, Data: map[string]any{"policy": "sales/inbound"}},
		store.AuditEvent{LeadID: other, At: testNow, Actor: "router", Type: lead.EventRouted, Data: map[string]any{"policy": "sales/outbound"}},
		store.AuditEvent{LeadID: other, At: testNow, Actor: "bob", Type: lead.EventTouched},
		store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched},
	)
	r := newReceiver(t, nil)
	sub := testSub(t, r, false)
	sub.Policies = []string{"sales/inbound"}
	o := testOptions(&sleeps{})
	start(t, NewDeliverer(sub, feed, feed, o))
	waitFor(t, "the cursor at the end", func() bool { return feed.cursor(Consumer("crm")) == "4" })
	if got := r.acknowledged(); !reflect.DeepEqual(got, []string{"1", "4"}) {
		t.Errorf("delivered %v, want the inbound lead's 1 and 4", got)
	}
	if v := testutil.ToFloat64(o.Metrics.Deliveries.WithLabelValues("crm", "filtered")); v != 2 {
		t.Errorf("filtered %v", v)
	}
}

// TestStoreErrorsAreRetried: a store that fails to serve the feed is retried with backoff, and nothing
// is lost or sent twice.
func TestStoreErrorsAreRetried(t *testing.T) {
	feed := newMemFeed()
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	feed.failReads = 3
	r := newReceiver(t, nil)
	sl := &sleeps{}
	start(t, NewDeliverer(testSub(t, r, false), feed, feed, testOptions(sl)))
	waitFor(t, "the delivery", func() bool { return len(r.acknowledged()) == 1 })
	if got, want := sl.get(), []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if n := len(r.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

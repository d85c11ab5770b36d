package writeback

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// roster maps team/member to crmUser as a Team's spec.members[].crmUser would.
func roster(m map[string]string) Roster {
	return func(team, member string) (string, bool) {
		u, ok := m[team+"/"+member]
		return u, ok
	}
}

func TestHubSpotRoutedOwnerReachesCRMExactlyOnce(t *testing.T) {
	hs := newFakeHubSpot(t)
	feed := newMemFeed()
	feed.route("l1", "hubspot:contact:5001", "ana", "sales/emea", "sales/inbound", t0)
	feed.route("l2", "hubspot:contact:5002", "bo", "sales/emea", "sales/inbound", t0)
	reg := NewRegistry()
	w, _ := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 100), feed,
		roster(map[string]string{"sales/emea/ana": "rep.ana@example.com"}), reg)

	for range 3 { // later passes find nothing new
		if err := w.Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	// ana's crmUser email is the owner on the owners API's second page; bo has no crmUser, so his
	// member name is taken as the owner id.
	for id, want := range map[string]string{"5001": "202", "5002": "bo"} {
		if owner, n := hs.written(id); owner != want || n != 1 {
			t.Errorf("contact %s: owner %q written %d times, want %q once", id, owner, n, want)
		}
	}
	if n := hs.count("/crm/v3/owners"); n != 2 {
		t.Errorf("owners API pages read: %d, want 2 (both pages, once)", n)
	}
	if got := w.Echoes.(*echoes).wrote["hubspot:contact:5001"]; got != "202" {
		t.Errorf("echo of hubspot:contact:5001 = %q, want 202", got)
	}
	h, ok := reg.Health("sales/inbound")
	if !ok || h.Written != 2 || h.Failed != 0 || !h.PendingSince.IsZero() {
		t.Errorf("health = %+v, %v; want 2 written, nothing pending", h, ok)
	}
	if v := h.Evaluate(t0, DefaultThresholds); !v.Healthy || v.Reason != ReasonHealthy {
		t.Errorf("verdict = %+v, want healthy", v)
	}
}

func TestRestartNeitherLosesNorRepeatsMoreThanOnce(t *testing.T) {
	hs := newFakeHubSpot(t)
	feed := newMemFeed()
	conn := connection(t, crm.HubSpot, hs.srv.URL, 100)
	feed.route("l1", "hubspot:contact:1", "ana", "sales/emea", "sales/p", t0)

	// A clean restart: the cursor was saved, nothing is sent again.
	w1, _ := newWorker(t, conn, feed, nil, nil)
	if err := w1.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	w2, _ := newWorker(t, conn, feed, nil, nil)
	if err := w2.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, n := hs.written("1"); n != 1 {
		t.Fatalf("after a clean restart contact 1 was written %d times, want 1", n)
	}

	// A crash after the CRM acknowledged but before the cursor was saved: the next worker writes
	// the owner once more, never zero times.
	feed.route("l2", "hubspot:contact:2", "bo", "sales/emea", "sales/p", t0.Add(time.Minute))
	feed.failSave = 1
	w3, _ := newWorker(t, conn, feed, nil, nil)
	if err := w3.Sync(ctxT(t)); err == nil {
		t.Fatal("Sync with a failing SaveCursor returned no error")
	}
	w4, _ := newWorker(t, conn, feed, nil, nil)
	if err := w4.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if owner, n := hs.written("2"); owner != "bo" || n != 2 {
		t.Errorf("contact 2 after a crash before the cursor save: owner %q written %d times, want bo twice", owner, n)
	}
	if _, n := hs.written("1"); n != 1 {
		t.Errorf("contact 1 (acknowledged and saved before) written %d times, want 1", n)
	}
	// And the worker that failed to save does not hold on to a stale position: a third worker sends nothing.
	w5, _ := newWorker(t, conn, feed, nil, nil)
	if err := w5.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, n := hs.written("2"); n != 2 {
		t.Errorf("contact 2 written %d times after a third worker, want still 2", n)
	}
}

func TestBatchSizes(t *testing.T) {
	for _, tc := range []struct {
		kind  crm.Kind
		leads int
		want  []int
	}{
		{crm.HubSpot, 250, []int{100, 100, 50}},
		{crm.Salesforce, 450, []int{200, 200, 50}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			var f *fakeCRM
			ext := "hubspot:contact:%d"
			if tc.kind == crm.Salesforce {
				f, ext = newFakeSalesforce(t), "salesforce:lead:00Q%015d"
			} else {
				f = newFakeHubSpot(t)
			}
			feed := newMemFeed()
			for i := range tc.leads {
				feed.route(fmt.Sprintf("l%d", i), fmt.Sprintf(ext, i), "rep", "sales/t", "sales/p", t0)
			}
			w, _ := newWorker(t, connection(t, tc.kind, f.srv.URL, 1000), feed, nil, nil)
			if err := w.Sync(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(f.sizes) != fmt.Sprint(tc.want) {
				t.Errorf("records per write call = %v, want %v", f.sizes, tc.want)
			}
			if len(f.owners) != tc.leads {
				t.Errorf("%d records written, want %d", len(f.owners), tc.leads)
			}
		})
	}
}

func TestOnlyThisConnectionsCRMRecords(t *testing.T) {
	hs := newFakeHubSpot(t)
	feed := newMemFeed()
	feed.route("l1", "hubspot:contact:7", "ana", "sales/t", "sales/p", t0)
	feed.route("l2", "salesforce:lead:00Q000000000007", "ana", "sales/t", "sales/p", t0)
	feed.route("l3", "form-7", "ana", "sales/t", "sales/other", t0)
	feed.route("l4", "", "ana", "sales/t", "sales/other", t0)
	feed.route("l5", "hubspot:deal:7", "ana", "sales/t", "sales/other", t0)
	feed.add(store.AuditEvent{LeadID: "l1", Type: lead.EventTouched, Data: map[string]any{"owner": "zed"}})
	reg := NewRegistry()
	w, _ := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 100), feed, nil, reg)
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if len(hs.owners) != 1 || hs.owners["7"] != "ana" {
		t.Errorf("HubSpot received %v, want only contact 7 → ana", hs.owners)
	}
	if got := reg.Policies(); fmt.Sprint(got) != "[sales/p]" {
		t.Errorf("policies with write-back health = %v, want only sales/p (the others route no HubSpot lead)", got)
	}
}

func TestReassignedAndEscalatedOwnersFollow(t *testing.T) {
	sf := newFakeSalesforce(t)
	feed := newMemFeed()
	feed.route("l1", "salesforce:lead:00Q000000000001", "ana", "sales/t", "sales/p", t0)
	w, _ := newWorker(t, connection(t, crm.Salesforce, sf.srv.URL, 100), feed,
		roster(map[string]string{"sales/t/bo": "005000000000B0b"}), nil)
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	feed.add(store.AuditEvent{LeadID: "l1", At: t0.Add(time.Hour), Type: lead.EventReassigned,
		Data: map[string]any{"from": "ana", "to": "bo", "policy": "sales/p"}})
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if owner, _ := sf.written("00Q000000000001"); owner != "005000000000B0b" {
		t.Errorf("after a reassignment the lead's OwnerId is %q, want bo's CRM user 005000000000B0b (from the lead's team)", owner)
	}
	feed.add(store.AuditEvent{LeadID: "l1", At: t0.Add(2 * time.Hour), Type: lead.EventEscalated,
		Data: map[string]any{"from": "bo", "to": "005000000000MgR", "team": "sales/t", "policy": "sales/p"}})
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if owner, n := sf.written("00Q000000000001"); owner != "005000000000MgR" || n != 3 {
		t.Errorf("after escalation OwnerId = %q (%d writes), want the manager 005000000000MgR after 3 writes", owner, n)
	}
}

func TestSalesforceOneTokenRefreshOn401(t *testing.T) {
	sf := newFakeSalesforce(t)
	feed := newMemFeed()
	feed.route("l1", "salesforce:contact:003000000000001", "005000000000AaA", "sales/t", "sales/p", t0)
	w, _ := newWorker(t, connection(t, crm.Salesforce, sf.srv.URL, 100), feed, nil, nil)
	// The first session expires at once: one new token, the write goes through.
	sf.then(sfComposite, scripted{status: 401, body: fixture(t, "salesforce_401.json")})
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := sf.count(sfToken); n != 2 {
		t.Errorf("token requests = %d, want 2 (sign-in, one refresh)", n)
	}
	if owner, n := sf.written("003000000000001"); owner != "005000000000AaA" || n != 1 {
		t.Errorf("OwnerId %q written %d times, want once", owner, n)
	}

	// A 401 that a fresh token does not cure: exactly one refresh, then the batch fails and the
	// cursor stays before it.
	feed.route("l2", "salesforce:lead:00Q000000000002", "005000000000AaA", "sales/t", "sales/p", t0)
	sf.then(sfComposite, scripted{status: 401, body: fixture(t, "salesforce_401.json")}, scripted{status: 401, body: fixture(t, "salesforce_401.json")})
	err := w.Sync(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Sync = %v, want the refused token named", err)
	}
	if n := sf.count(sfToken); n != 3 {
		t.Errorf("token requests = %d, want 3 (one more refresh only)", n)
	}
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, n := sf.written("00Q000000000002"); n != 1 {
		t.Errorf("lead 2 written %d times after the CRM recovered, want 1", n)
	}
}

func TestRateLimitAnswersAreWaitedOut(t *testing.T) {
	t.Run("HubSpot 429 and 503 honour Retry-After", func(t *testing.T) {
		hs := newFakeHubSpot(t)
		feed := newMemFeed()
		feed.route("l1", "hubspot:contact:1", "ana", "sales/t", "sales/p", t0)
		reg := NewRegistry()
		w, sl := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 100), feed, nil, reg)
		when := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
		hs.then("/crm/v3/objects/contacts/batch/update",
			scripted{status: 429, header: map[string]string{"Retry-After": "7"}, body: fixture(t, "hubspot_429.json")},
			scripted{status: 503, header: map[string]string{"Retry-After": when}})
		if err := w.Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		ds := sl.all()
		if len(ds) != 2 || ds[0] != 7*time.Second || ds[1] < 80*time.Second || ds[1] > 91*time.Second {
			t.Errorf("waits = %v, want 7s then about 90s (the Retry-After values)", ds)
		}
		if owner, n := hs.written("1"); owner != "ana" || n != 1 {
			t.Errorf("contact 1: %q written %d times, want once", owner, n)
		}
		if h, _ := reg.Health("sales/p"); h.Failed != 0 || h.Written != 1 {
			t.Errorf("a rate limit counted as a failure: %+v", h)
		}
	})
	t.Run("Salesforce 403 REQUEST_LIMIT_EXCEEDED is a rate limit", func(t *testing.T) {
		sf := newFakeSalesforce(t)
		feed := newMemFeed()
		feed.route("l1", "salesforce:lead:00Q000000000001", "005000000000AaA", "sales/t", "sales/p", t0)
		reg := NewRegistry()
		w, sl := newWorker(t, connection(t, crm.Salesforce, sf.srv.URL, 100), feed, nil, reg)
		sf.then(sfComposite, scripted{status: 403, body: fixture(t, "salesforce_request_limit.json")})
		if err := w.Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if ds := sl.all(); len(ds) != 1 || ds[0] <= 0 {
			t.Errorf("waits = %v, want one backoff wait", ds)
		}
		if h, _ := reg.Health("sales/p"); h.Failed != 0 || h.Written != 1 {
			t.Errorf("REQUEST_LIMIT_EXCEEDED counted as a failure: %+v", h)
		}
	})
	t.Run("5xx retried with backoff", func(t *testing.T) {
		hs := newFakeHubSpot(t)
		feed := newMemFeed()
		feed.route("l1", "hubspot:contact:1", "ana", "sales/t", "sales/p", t0)
		w, sl := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 100), feed, nil, nil)
		hs.then("/crm/v3/objects/contacts/batch/update", scripted{status: 500}, scripted{status: 502})
		if err := w.Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		ds := sl.all()
		// Backoff 10ms doubling, jittered into [d/2, d].
		if len(ds) != 2 || ds[0] < 5*time.Millisecond || ds[0] > 10*time.Millisecond || ds[1] < 10*time.Millisecond || ds[1] > 20*time.Millisecond {
			t.Errorf("waits = %v, want two growing backoff waits", ds)
		}
		if _, n := hs.written("1"); n != 1 {
			t.Errorf("written %d times, want 1", n)
		}
	})
}

func TestTokenBucketBoundsCalls(t *testing.T) {
	hs := newFakeHubSpot(t)
	const rps, calls = 10, 16
	c := NewCRM(connection(t, crm.HubSpot, hs.srv.URL, rps), ClientOptions{})
	start := time.Now()
	for i := range calls {
		if _, err := c.WriteOwners(ctxT(t), []Update{{Record: Record{crm.HubSpot, "contact", fmt.Sprint(i)}, OwnerID: "1"}}); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	// A bucket of 10 at 10/s lets 10 through at once, then one every 100ms.
	if min := time.Duration(calls-rps) * time.Second / rps; elapsed < min-20*time.Millisecond {
		t.Errorf("%d calls took %v; the token bucket allows no less than %v", calls, elapsed, min)
	}
	// No window of one second holds more than the burst plus one second's rate.
	for i := range hs.times {
		n := 0
		for _, at := range hs.times[i:] {
			if at.Sub(hs.times[i]) < time.Second {
				n++
			}
		}
		if n > 2*rps {
			t.Errorf("%d calls within one second from call %d, want at most %d", n, i, 2*rps)
		}
	}
}

func TestRefusedRecordsAreGivenUpAfterAttempts(t *testing.T) {
	t.Run("Salesforce per-record errors", func(t *testing.T) {
		sf := newFakeSalesforce(t)
		sf.reject["00Q000000000BAD"] = "INVALID_CROSS_REFERENCE_KEY"
		feed := newMemFeed()
		feed.route("l1", "salesforce:lead:00Q000000000001", "005000000000AaA", "sales/t", "sales/p", t0)
		feed.route("l2", "salesforce:lead:00Q000000000BAD", "005000000000AaA", "sales/t", "sales/p", t0)
		reg := NewRegistry()
		w, _ := newWorker(t, connection(t, crm.Salesforce, sf.srv.URL, 100), feed, nil, reg)
		if err := w.Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if sf.count(sfComposite) != 3 {
			t.Errorf("composite calls = %d, want 3 (the refused record tried 3 times)", sf.count(sfComposite))
		}
		if _, n := sf.written("00Q000000000001"); n != 1 {
			t.Errorf("the good record was written %d times, want once", n)
		}
		h, _ := reg.Health("sales/p")
		if h.Failed != 1 || h.Written != 1 || h.LastFailure != "INVALID_CROSS_REFERENCE_KEY" {
			t.Errorf("health = %+v, want 1 written, 1 failed with INVALID_CROSS_REFERENCE_KEY", h)
		}
		v := h.Evaluate(h.LastFailureAt.Add(time.Minute), DefaultThresholds)
		if v.Healthy || v.Reason != ReasonFailing || !strings.Contains(v.Message, "INVALID_CROSS_REFERENCE_KEY") || !strings.Contains(v.Message, "1 owner given up on") {
			t.Errorf("verdict = %+v, want failing with the code and count", v)
		}
		// The cursor moved on: the refused record is not retried forever.
		if err := w.Sync(ctxT(t)); err != nil || sf.count(sfComposite) != 3 {
			t.Errorf("a second pass made %d composite calls (err %v), want none more", sf.count(sfComposite), err)
		}
	})
	t.Run("HubSpot whole-batch 400 isolates the bad input", func(t *testing.T) {
		hs := newFakeHubSpot(t)
		hs.reject["666"] = "VALIDATION_ERROR"
		feed := newMemFeed()
		for _, id := range []string{"1", "666", "2"} {
			feed.route("l"+id, "hubspot:contact:"+id, "ana", "sales/t", "sales/p", t0)
		}
		reg := NewRegistry()
		w, _ := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 1000), feed, nil, reg)
		if err := w.Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"1", "2"} {
			if _, n := hs.written(id); n != 1 {
				t.Errorf("contact %s written %d times, want once", id, n)
			}
		}
		if h, _ := reg.Health("sales/p"); h.Failed != 1 || h.Written != 2 || h.LastFailure != "VALIDATION_ERROR" {
			t.Errorf("health = %+v, want 2 written, 1 failed with VALIDATION_ERROR", h)
		}
	})
}

func TestBlockedConnectionReportsLagAndFailure(t *testing.T) {
	hs := newFakeHubSpot(t)
	feed := newMemFeed()
	feed.route("l1", "hubspot:contact:1", "ana", "sales/t", "sales/p", t0)
	reg := NewRegistry()
	w, _ := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 100), feed, nil, reg)
	five := scripted{status: 500, body: []byte(`{"status":"error","category":"INTERNAL_ERROR"}`)}
	hs.then("/crm/v3/objects/contacts/batch/update", five, five, five, five, five)
	if err := w.Sync(ctxT(t)); err == nil {
		t.Fatal("Sync through five 500s returned no error")
	}
	h, ok := reg.Health("sales/p")
	if !ok || h.Blocked == "" || !h.PendingSince.Equal(t0) {
		t.Fatalf("health = %+v, want blocked with the change pending since %v", h, t0)
	}
	v := h.Evaluate(t0.Add(7*time.Minute), DefaultThresholds)
	if v.Reason != ReasonFailing || !strings.Contains(v.Message, "HTTP 500") || !strings.Contains(v.Message, "7m") {
		t.Errorf("verdict = %+v, want failing with HTTP 500 and the 7m lag", v)
	}
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	h, _ = reg.Health("sales/p")
	if v := h.Evaluate(t0.Add(8*time.Minute), DefaultThresholds); !v.Healthy {
		t.Errorf("after recovery verdict = %+v, want healthy", v)
	}
}

func TestStartWakesOnChanges(t *testing.T) {
	hs := newFakeHubSpot(t)
	feed := newMemFeed()
	w, _ := newWorker(t, connection(t, crm.HubSpot, hs.srv.URL, 100), feed, nil, nil)
	w.Poll = time.Hour // only the change notification can wake it
	ctx, cancel := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() { done <- w.Start(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for { // the worker subscribes, then a lead is routed
		feed.mu.Lock()
		subscribed := len(feed.subs) > 0
		feed.mu.Unlock()
		if subscribed || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	feed.route("l1", "hubspot:contact:1", "ana", "sales/t", "sales/p", t0)
	for time.Now().Before(deadline) {
		if _, n := hs.written("1"); n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, n := hs.written("1"); n != 1 {
		t.Errorf("contact 1 written %d times after a change notification, want 1", n)
	}
}

package controllers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/postgres"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// TestFaultPostgresOutageMidStream stops PostgreSQL (fast shutdown, as a restart or failover does)
// for 15 s in the middle of a 5,000-lead stream a client posts through the API, retrying 503s after
// their Retry-After. While the store is down the API answers 503 with Retry-After (never a 500,
// never a hang) and the readiness check fails; the first-touch deadline of every lead routed before
// the outage passes during it. After the restart, routing resumes, the queue drains, every lead is
// decided exactly once and every breach is recorded exactly once with the deadline it missed.
func TestFaultPostgresOutageMidStream(t *testing.T) {
	const (
		n       = 5000
		batch   = 25
		pace    = 60 * time.Millisecond // ~400 leads/s: the stream spans the outage
		outage  = 15 * time.Second
		stopAt  = 2000 // leads acknowledged before the server stops
		maxWait = 60 * time.Second
	)
	srv := pgtest.StartDedicated(t)
	dsn := srv.NewDatabase(t)
	fake := clock.NewFake(testNow)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	st, err := postgres.Open(ctx, dsn, store.Options{Clock: fake.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := envOn(t, st, dsn, fake)
	mustCreate(t, e.ns, bulkTeam)
	mustCreate(t, e.ns, faultPolicy)
	eventuallyCondition(t, e.policy("bulk"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	c := e.apiClient()

	// The manager's readiness endpoint with its "store" check.
	ready := httptest.NewServer(&healthz.Handler{Checks: map[string]healthz.Checker{"store": StoreReadyCheck(st)}})
	defer ready.Close()
	readyz := &transitions{}
	probeCtx, stopProbes := context.WithCancel(ctx)
	defer stopProbes()
	probeClient := &http.Client{Timeout: 10 * time.Second}
	poll(probeCtx, 50*time.Millisecond, func() {
		resp, err := probeClient.Get(ready.URL)
		if err != nil {
			return
		}
		resp.Body.Close()
		readyz.observe(resp.StatusCode == http.StatusOK)
	})
	// Routed leads, read every 20 ms: when routing resumes after the return.
	var routedNow atomic.Int64
	routing := &transitions{}
	poll(probeCtx, 20*time.Millisecond, func() {
		s, err := st.PolicyStats(probeCtx, e.ns+"/bulk")
		if err != nil {
			return
		}
		if prev := routedNow.Swap(s.Routed); s.Routed > prev {
			routing.observe(true)
			routing.observe(false) // every increase is a fresh "true" transition
		}
	})

	statsCh := make(chan *streamStats, 1)
	go func() { statsCh <- streamLeads(ctx, c.BaseURL, c.Token, "stream", n, batch, pace) }()
	var stats *streamStats
	// Stop the server once about stopAt leads are in.
	NewWithT(t).Eventually(func() int64 { return routedNow.Load() }).WithTimeout(time.Minute).
		WithPolling(20 * time.Millisecond).Should(BeNumerically(">=", stopAt*9/10))

	down := time.Now() // the fast shutdown refuses new sessions from its first moment
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	routedAtStop := routedNow.Load()
	// Every deadline of a lead routed so far passes while the store is down.
	fake.Set(testNow.Add(time.Hour))
	// A direct request during the outage: a 503 with Retry-After, within the client's patience.
	began := time.Now()
	_, _, derr := c.UpsertLead(ctx, store.LeadInput{ExternalID: "during-outage", Score: 50})
	if took := time.Since(began); derr == nil || !strings.Contains(derr.Error(), "HTTP 503") || took > 10*time.Second {
		t.Fatalf("a request during the outage: %v after %v; want an HTTP 503 well within 10s", derr, took)
	}
	time.Sleep(outage - time.Since(down))
	resuming := time.Now()
	if err := srv.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	// back: the server accepts connections (Resume checks every 50 ms, so a probe may see it a
	// moment earlier).
	back := time.Now()
	// An early lead (routed before the outage, qualified): when its breach is recorded.
	var breachSeen atomic.Pointer[time.Time]
	poll(probeCtx, 20*time.Millisecond, func() {
		if breachSeen.Load() != nil {
			return
		}
		if l, err := st.GetLeadByExternalID(probeCtx, "stream-00001"); err == nil && l.FirstTouchBreachedAt != nil {
			now := time.Now()
			breachSeen.Store(&now)
		}
	})

	select {
	case stats = <-statsCh:
	case <-time.After(maxWait + 30*time.Second):
		t.Fatal("the stream did not finish")
	}
	if len(stats.unexpected) > 0 {
		t.Fatalf("the stream met responses a client cannot retry: %v", stats.unexpected)
	}
	var drainedAt time.Time
	NewWithT(t).Eventually(func() int {
		p, err := st.PendingLeads(ctx, store.PendingCursor{}, 10)
		if err != nil {
			return -1
		}
		drainedAt = time.Now()
		return len(p)
	}).WithTimeout(maxWait).WithPolling(50*time.Millisecond).Should(BeZero(), "leads left in the queue")
	stopProbes()

	readyFalse := readyz.firstAfter(down, false)
	readyTrue := readyz.firstAfter(resuming, true)
	firstRouted := routing.firstAfter(back, true)
	if readyFalse.IsZero() || readyFalse.After(back) {
		t.Fatalf("readiness did not turn false while the store was down (transitions %+v)", readyz.changes)
	}
	if readyTrue.IsZero() {
		t.Fatalf("readiness did not turn true after the store's return (transitions %+v)", readyz.changes)
	}
	if breachSeen.Load() == nil {
		t.Fatal("the breach of a lead routed before the outage was not recorded after the return")
	}
	if firstRouted.IsZero() {
		t.Fatal("no lead routed after the store's return")
	}
	if stats.statuses[http.StatusServiceUnavailable] == 0 {
		t.Fatalf("the stream never met a 503 (statuses %v): the outage did not fall in the stream", stats.statuses)
	}
	if stats.statuses[http.StatusInternalServerError] != 0 {
		t.Fatalf("the API answered 500 during the outage: %v", stats.statuses)
	}
	if stats.maxLatency > 10*time.Second {
		t.Fatalf("a request took %v: the API hung on the stopped store", stats.maxLatency)
	}
	breached := checkStreamDecidedOnce(t, st, "stream", n, fake.Now())
	if breached == 0 {
		t.Fatal("no breach fell due during the outage: the scenario did not test breaches")
	}
	var msgs []string
	for m := range stats.messages {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	t.Logf("stream: %d leads, statuses %v, Retry-After %v, slowest request %v, 503 messages %q",
		stats.accepted, stats.statuses, stats.retryAfters, stats.maxLatency.Round(time.Millisecond), msgs)
	t.Logf("the client saw 503s for %v (first to last), %d retries in all", stats.lastErrAt.Sub(stats.firstErrAt).Round(time.Millisecond), stats.statuses[http.StatusServiceUnavailable])
	t.Logf("outage %v with %d of %d routed; readiness false %v after the stop, true %v after the return",
		back.Sub(down).Round(time.Millisecond), routedAtStop, n-n/10, readyFalse.Sub(down).Round(time.Millisecond), max(readyTrue.Sub(back), 0).Round(time.Millisecond))
	t.Logf("recovery: first write accepted %v after the return, first breach recorded %v after, first routed lead %v after, stream acknowledged %v after, queue drained %v after; %d breaches that fell due during the outage recorded once with their deadline",
		stats.firstAckAfter(back).Sub(back).Round(time.Millisecond), breachSeen.Load().Sub(back).Round(time.Millisecond), firstRouted.Sub(back).Round(time.Millisecond), stats.doneAt.Sub(back).Round(time.Millisecond), drainedAt.Sub(back).Round(time.Millisecond), breached)
	if d := firstRouted.Sub(back); d > 10*time.Second {
		t.Fatalf("routing resumed %v after the store's return; want within 10s", d)
	}
	if d := breachSeen.Load().Sub(back); d > 10*time.Second {
		t.Fatalf("a breach that fell due during the outage was recorded %v after the return; want within 10s", d)
	}
	if d := drainedAt.Sub(back); d > maxWait {
		t.Fatalf("the queue drained %v after the store's return; want within %v", d, maxWait)
	}
}

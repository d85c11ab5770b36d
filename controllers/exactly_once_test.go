package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const bulkTeam = `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: America/New_York
  members: [{name: r1, capacity: 5000}, {name: r2, capacity: 5000}, {name: r3, capacity: 5000}, {name: r4, capacity: 5000}]
`

const bulkPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: bulk}
spec:
  qualification: {expression: "lead.score >= 10"}
  rules: [{name: all, teamRef: {name: sdr}, strategy: RoundRobin}]
`

// seedBulk inserts n leads in batches, every tenth one below the qualification gate.
func seedBulk(t testing.TB, st store.Backend, n int) {
	t.Helper()
	for start := 0; start < n; start += 1000 {
		seedBulkRange(t, st, start, min(start+1000, n))
	}
}

// seedBulkRange writes leads bulk-FROM to bulk-(TO-1) in one batch, every tenth below the
// qualification gate.
func seedBulkRange(t testing.TB, st store.Backend, from, to int) {
	t.Helper()
	var batch []store.LeadInput
	for i := from; i < to; i++ {
		score := int64(50)
		if i%10 == 0 {
			score = 5
		}
		batch = append(batch, store.LeadInput{ExternalID: fmt.Sprintf("bulk-%05d", i), Score: score})
	}
	if _, err := st.UpsertLeads(context.Background(), batch, "seed"); err != nil {
		t.Fatal(err)
	}
}

// checkEveryLeadDecidedOnce asserts that every lead got exactly one decision: qualified ones exactly
// one "routed" entry and an owner, the rest exactly one "disqualified" entry; none left pending.
func checkEveryLeadDecidedOnce(t testing.TB, st store.Backend, n int) {
	t.Helper()
	ctx := context.Background()
	NewWithT(t).Eventually(func() int {
		pending, err := st.PendingLeads(ctx, store.PendingCursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(pending)
	}).WithTimeout(3*time.Minute).WithPolling(250*time.Millisecond).Should(BeZero(), "leads left behind")
	routed, disqualified := 0, 0
	for i := 0; i < n; i++ {
		l, err := st.GetLeadByExternalID(ctx, fmt.Sprintf("bulk-%05d", i))
		if err != nil {
			t.Fatal(err)
		}
		evs, err := st.Audit(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, ev := range evs {
			count[ev.Type]++
		}
		switch {
		case l.Stage == lead.StageRouted && l.Owner != "" && count["routed"] == 1 && count["qualified"] == 1 && count["disqualified"] == 0:
			routed++
		case l.Stage == lead.StageDisqualified && count["disqualified"] == 1 && count["routed"] == 0:
			disqualified++
		default:
			t.Fatalf("lead %d decided wrongly: stage %s owner %q audit %v", i, l.Stage, l.Owner, count)
		}
	}
	if routed != n-n/10 || disqualified != n/10 {
		t.Fatalf("routed %d, disqualified %d; want %d and %d", routed, disqualified, n-n/10, n/10)
	}
}

// TestTwoManagersRouteEachLeadOnce: two managers (no leader election) share one PostgreSQL store and
// route 10,000 leads; no lead is assigned twice and none is left behind.
func TestTwoManagersRouteEachLeadOnce(t *testing.T) {
	const n = 10000
	e := startEnv(t, "postgres", testNow)
	second := reopen(t, "postgres", e.dsn, e.clock)
	mustCreate(t, e.ns, bulkTeam)
	mustCreate(t, e.ns, bulkPolicy)
	eventuallyCondition(t, e.policy("bulk"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	startManager(t, e.ns, second, e.clock)
	seedBulk(t, e.store, n)
	checkEveryLeadDecidedOnce(t, e.store, n)
}

// TestManagerKilledMidBatch: a manager stopped while routing leaves no half-routed lead, and its
// successor finishes the job without deciding anything twice.
func TestManagerKilledMidBatch(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			const n = 3000
			e := startEnv(t, backend, testNow)
			mustCreate(t, e.ns, bulkTeam)
			mustCreate(t, e.ns, bulkPolicy)
			eventuallyCondition(t, e.policy("bulk"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			seedBulk(t, e.store, n)
			// Stop as soon as routing is under way but before it is done.
			NewWithT(t).Eventually(func() int64 {
				s, _ := e.store.PolicyStats(context.Background(), e.ns+"/bulk")
				return s.Routed
			}).WithTimeout(time.Minute).WithPolling(5 * time.Millisecond).Should(BeNumerically(">", 0))
			e.stop()
			s, _ := e.store.PolicyStats(context.Background(), e.ns+"/bulk")
			t.Logf("stopped after %d of %d routed", s.Routed, n-n/10)
			startManager(t, e.ns, e.store, e.clock)
			checkEveryLeadDecidedOnce(t, e.store, n)
		})
	}
}

package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// expensiveSelector costs just under the per-lead limit on every lead (about 99,000 of 100,000) and
// selects none: the worst a policy that passes the compile-time cost estimate can do.
var expensiveSelector = func() string {
	xs := make([]string, 99)
	for i := range xs {
		xs[i] = fmt.Sprint(i)
	}
	l := "[" + strings.Join(xs, ",") + "]"
	return fmt.Sprintf("%s.all(x, %s.all(y, x + y + lead.score >= 0)) && lead.source == 'never'", l, l)
}()

// BenchmarkRoutingBehindExpensiveQueue: 500 leads wait for a full team behind a policy whose selector
// is expensive on every lead; new leads for a team with room arrive one at a time and are timed from
// insert to routed. A waiting lead's selector must not be evaluated again on every pass, so the
// queue adds nothing to a new lead's routing time (reported p50/p99, and the same with no queue for
// the baseline).
func BenchmarkRoutingBehindExpensiveQueue(b *testing.B) {
	for range b.N {
		for _, queued := range []int{0, 500} {
			benchRoutingBehindQueue(b, queued)
		}
	}
}

func benchRoutingBehindQueue(b *testing.B, queued int) {
	const newLeads = 20
	e := startEnv(b, "postgres", time.Time{}, withRealClock())
	defer e.stop()
	ctx := context.Background()
	mustCreate(b, e.ns, strings.Replace(validTeam, "capacity: 10", "capacity: 1", 1))
	mustCreate(b, e.ns, strings.NewReplacer("name: sdr", "name: ae", "function: SDR", "function: Sales",
		"sdr-01", "ae-01", "capacity: 10", "capacity: 1000").Replace(validTeam))
	mustCreate(b, e.ns, `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: expensive}
spec:
  priority: 10
  selector: "`+expensiveSelector+`"
  rules: [{name: all, teamRef: {name: sdr}}]
`)
	mustCreate(b, e.ns, `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: inbound}
spec:
  rules:
  - {name: web, when: "lead.source == 'web'", teamRef: {name: ae}, strategy: LeastLoaded}
  - {name: rest, teamRef: {name: sdr}, strategy: LeastLoaded}
`)
	eventuallyCondition(b, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	var batch []store.LeadInput
	for i := range queued {
		batch = append(batch, store.LeadInput{ExternalID: fmt.Sprintf("form-%d", i), Source: "form", Score: 70})
	}
	if len(batch) > 0 {
		if _, err := e.store.UpsertLeads(ctx, batch, "bench"); err != nil {
			b.Fatal(err)
		}
		p := e.policy("inbound")
		waitFor(b, "the queue to settle", 5*time.Minute, 100*time.Millisecond, func() bool {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p) == nil && p.Status.Queued == int64(queued-1)
		})
	}
	lat := make([]time.Duration, 0, newLeads)
	for i := range newLeads {
		start := time.Now()
		l, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("web-%d", i), Source: "web", Score: 70}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, "a new lead to be routed", 5*time.Minute, time.Millisecond, func() bool {
			got, err := e.store.GetLead(ctx, l.ID)
			return err == nil && got.Stage == lead.StageRouted
		})
		lat = append(lat, time.Since(start))
	}
	reportQuantiles(b, fmt.Sprintf("queue%d-", queued), lat)
	b.ReportMetric(0, "ns/op")
}

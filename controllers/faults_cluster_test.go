package controllers

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
)

// apiServerOutage is how long TestAPIServerRestartUnderLoad keeps the kube-apiserver down once it
// has stopped. With its stop (up to 5 s: SIGTERM, then SIGKILL) and restart (about 2 s) the API
// server is away for about 15 s: longer than the manager's leader-election renew deadline
// (controller-runtime's default, 10 s, which main.go keeps), so the leader-elected manager really
// loses its lease.
const apiServerOutage = 8 * time.Second

// TestAPIServerRestartUnderLoad stops the kube-apiserver for about 15 s while leads stream in at 50 a
// second and starts it again on the same port and etcd. Two managers watch it, each with its own
// namespace and store:
//
//   - "plain", no leader election (SQLite): routing goes on through the outage from the policies and
//     teams in the manager's cache; only status and Events wait for the API server.
//   - "elected", --leader-elect as deployed (PostgreSQL): the leader cannot renew its Lease, steps
//     down after the renew deadline and its manager exits (the pod restarts); routing pauses until the
//     API server is back and a new leader has waited out the old Lease, then resumes.
//
// Either way every lead is decided exactly once, each policy's status catches up with the store,
// and no Event is recorded as a series (no storm of repeats after the restart).
func TestAPIServerRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own control plane and runs for about 45 s")
	}
	begin := time.Now()
	cp := startControlPlane(t)
	plain, elected := cp.namespace("fault-plain"), cp.namespace("fault-elected")
	stPlain, _ := openStore(t, "sqlite", clock.Real{})
	stElected, _ := openStore(t, "postgres", clock.Real{})

	_, stopPlain := runManager(t, cp.cfg, stPlain, managerOpts{ns: plain})
	t.Cleanup(stopPlain)

	// The elected manager runs under a supervisor that starts a new one whenever it exits, as the
	// kubelet restarts a container whose process ended.
	superCtx, superStop := context.WithCancel(context.Background())
	var (
		superMu   sync.Mutex
		lostAt    []time.Time
		lostWhy   []string
		startErrs []string
		superDone = make(chan struct{})
	)
	go func() {
		defer close(superDone)
		for {
			done, stop, err := tryManager(cp.cfg, stElected, managerOpts{ns: elected, leaderElection: true})
			if err != nil {
				superMu.Lock()
				startErrs = append(startErrs, err.Error())
				superMu.Unlock()
				select {
				case <-superCtx.Done():
					return
				case <-time.After(time.Second):
					continue
				}
			}
			select {
			case <-superCtx.Done():
				stop()
				<-done
				return
			case err := <-done:
				stop()
				superMu.Lock()
				lostAt = append(lostAt, time.Now())
				lostWhy = append(lostWhy, errString(err))
				superMu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { superStop(); <-superDone })

	cp.bulkPolicyReady(plain)
	cp.bulkPolicyReady(elected)
	t.Logf("control plane up and both policies Ready after %s", time.Since(begin).Round(time.Millisecond))

	sampleCtx, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	routedPlain := sampleRouted(sampleCtx, stPlain, plain+"/bulk")
	routedElected := sampleRouted(sampleCtx, stElected, elected+"/bulk")
	streamCtx, stopStream := context.WithCancel(context.Background())
	written := streamLeads(streamCtx, t, 50, stPlain, stElected)
	defer stopStream()

	time.Sleep(3 * time.Second)
	stopping := time.Now()
	how := cp.stopAPIServer()
	down := time.Now()
	t.Logf("kube-apiserver stopped (%s) in %s", how, down.Sub(stopping).Round(time.Millisecond))
	time.Sleep(apiServerOutage)
	cp.startAPIServer()
	back := time.Now()
	// How long until the plain policy's status shows what was routed while the API server was away.
	plainCaughtUp := make(chan time.Duration, 1)
	go func() {
		want := routedPlain.at(back)
		p := &leadopsv1.LeadPolicy{}
		for time.Since(back) < 30*time.Second {
			if err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: plain, Name: "bulk"}, p); err == nil && p.Status.Routed >= want {
				plainCaughtUp <- time.Since(back)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		plainCaughtUp <- -1
	}()
	t.Logf("kube-apiserver down for %s (restart included), healthy again on %s", back.Sub(down).Round(time.Millisecond), cp.cfg.Host)

	defer func() {
		superMu.Lock()
		defer superMu.Unlock()
		if len(startErrs) > 0 {
			t.Logf("elected: %d manager starts failed and were retried a second later; first: %s", len(startErrs), startErrs[0])
		}
	}()
	// The elected side resumes once a new leader holds the Lease.
	var resumed time.Time
	NewWithT(t).Eventually(func() bool {
		resumed = routedElected.firstRiseAfter(back)
		return !resumed.IsZero()
	}).WithTimeout(40*time.Second).WithPolling(100*time.Millisecond).Should(BeTrue(), "the leader-elected manager never resumed routing")
	time.Sleep(2 * time.Second)
	stopStream()
	n := <-written

	// Plain: routing went on while the API server was down.
	during := routedPlain.at(back) - routedPlain.at(down.Add(time.Second))
	if during <= 0 {
		t.Errorf("plain manager: no lead routed while the API server was down (routed %d before, %d at its return)", routedPlain.at(down), routedPlain.at(back))
	}
	caught := <-plainCaughtUp
	if caught < 0 {
		t.Errorf("plain: status.routed did not reach the %d leads routed by the API server's return within 30 s", routedPlain.at(back))
	}
	t.Logf("plain (no leader election): %d leads routed during the outage, from cached policies; status caught up %s after the API server's return",
		during, caught.Round(time.Millisecond))

	// Elected: the leader stepped down within the outage, routing paused cleanly, then resumed.
	superMu.Lock()
	lost := append([]time.Time(nil), lostAt...)
	why := append([]string(nil), lostWhy...)
	superMu.Unlock()
	if len(lost) == 0 || lost[0].Before(stopping) || lost[0].After(back) {
		t.Fatalf("elected manager: want it to lose its lease during the outage (%s to %s); it exited at %v (%v)", down.Format(time.StampMilli), back.Format(time.StampMilli), lost, why)
	}
	if !strings.Contains(why[0], "leader election lost") {
		t.Errorf("elected manager exited with %q, want leader election lost", why[0])
	}
	lastBefore := routedElected.lastRiseBefore(back)
	if lastBefore.After(lost[0].Add(time.Second)) {
		t.Errorf("elected manager: a lead was routed at %s, after the lease was lost at %s, with the API server down", lastBefore.Format(time.StampMilli), lost[0].Format(time.StampMilli))
	}
	t.Logf("elected (--leader-elect): stepped down %s after the API server was told to stop (%s), routing paused from %s; resumed %s after the API server's return (new leader waits out the old Lease)",
		lost[0].Sub(stopping).Round(time.Millisecond), why[0], lastBefore.Sub(stopping).Round(time.Millisecond), resumed.Sub(back).Round(time.Millisecond))
	if rec := resumed.Sub(back); rec > 30*time.Second {
		t.Errorf("elected manager resumed routing %s after the API server's return, want within 30 s", rec)
	}

	// Nothing lost, nothing doubled.
	checkEveryLeadDecidedOnce(t, stPlain, n)
	checkEveryLeadDecidedOnce(t, stElected, n)
	t.Logf("%d leads streamed into each store; each decided exactly once", n)

	// Status catches up with the store.
	for _, c := range []struct {
		ns  string
		st  store.Backend
		tag string
	}{{plain, stPlain, "plain"}, {elected, stElected, "elected"}} {
		stats, err := c.st.PolicyStats(context.Background(), c.ns+"/bulk")
		if err != nil {
			t.Fatal(err)
		}
		cp.eventuallyPolicy(c.ns, "bulk", 30*time.Second, func(g Gomega, p *leadopsv1.LeadPolicy) {
			g.Expect(p.Status.Routed).To(Equal(stats.Routed), "status.routed")
			g.Expect(p.Status.Disqualified).To(Equal(stats.Disqualified), "status.disqualified")
		})
		t.Logf("%s: status shows all %d routed, %d disqualified once the stream ended, %s after the API server's return", c.tag, stats.Routed, stats.Disqualified, time.Since(back).Round(time.Millisecond))
	}

	// No Events storm: the aggregator sends at most one Routed Event per policy per eventInterval and
	// one at each manager start; none is repeated into a series.
	elapsed := time.Since(down)
	for _, c := range []struct {
		ns       string
		managers int
	}{{plain, 1}, {elected, len(lost) + 1}} {
		reasons := cp.eventsByReason(c.ns)
		t.Logf("%s: Events by reason after recovery: %s", c.ns, formatReasons(reasons))
		limit := int(elapsed/eventInterval) + 2 + c.managers
		if reasons["Routed"] > limit {
			t.Errorf("%s: %d Routed Events in %s, want at most %d (one per %s and manager start)", c.ns, reasons["Routed"], elapsed.Round(time.Second), limit, eventInterval)
		}
		for reason, k := range reasons {
			if k > 3*limit {
				t.Errorf("%s: %d %s Events in %s: a storm", c.ns, k, reason, elapsed.Round(time.Second))
			}
		}
	}
	if d := time.Since(begin); d > 60*time.Second {
		t.Errorf("the scenario took %s, want under 60 s", d.Round(time.Second))
	}
}

func errString(err error) string {
	if err == nil {
		return "exited without an error"
	}
	return err.Error()
}

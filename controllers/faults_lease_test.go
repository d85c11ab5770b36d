package controllers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leadops/leadops/internal/clock"
)

// leaseName is the Lease main.go's managers elect through (its LeaderElectionID).
const leaseName = "leadops.leadops.io"

// takeoverBound is how long after a SIGKILLed leader the test waits for a lead to be routed again:
// the old Lease runs out 15 s (controller-runtime's default lease duration, which main.go keeps)
// after a candidate last saw it renewed, and a candidate retries every 2 s.
const takeoverBound = 30 * time.Second

// leaseKills is how many leaders TestLeaderKilledStandbyTakesOver SIGKILLs: each costs about 20 s,
// most of it the old Lease running out, so `make test` runs two and `make soak` six.
func leaseKills() int {
	if os.Getenv("LEADOPS_SOAK") != "" {
		return 6
	}
	return 2
}

// TestLeaderKilledStandbyTakesOver runs two manager processes (the real binary) with --leader-elect,
// as the Deployment does, on one PostgreSQL store while 100 leads arrive every second. It SIGKILLs
// whichever process leads, as the OOM killer or a lost node would, and restarts it at once; the
// killed leader's Lease is left held until it runs out, and then the other process (or the restarted
// one, whichever asks first) takes over. It does this twice (six times under `make soak`) and reports, for each kill, when the
// Lease changed hands and when a lead was routed again.
//
// It asserts what a user would check: every lead decided exactly once, the round-robin history
// counting each routed lead once, one replica routing at a time (a process that does not report
// holding the Lease has routed nothing, never two report holding it, nothing routed while neither
// does), and the Lease's holder changing once per kill.
func TestLeaderKilledStandbyTakesOver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the manager and runs two of its processes for about 45 s")
	}
	kills := leaseKills()
	const batch, every = 100, time.Second
	bin := buildManagerBinary(t)
	begin := time.Now()
	cp := startControlPlane(t)
	ns := cp.namespace("fault-lease")
	kubeconfig := cp.kubeconfig()
	st, dsn := openStore(t, "postgres", clock.Real{})
	var replicas []*replica
	var metricsAddrs []string
	for i := 0; i < 2; i++ {
		r := newReplica(t, fmt.Sprintf("replica-%d", i), bin, kubeconfig, dsn)
		// Each process's own metrics say whether it holds the Lease (the Lease's holderIdentity is
		// hostname_uuid, the same hostname for both) and how many leads it routed.
		addr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
		r.args = []string{"--leader-elect", "--leader-election-namespace=" + ns, "--metrics-bind-address=" + addr, "--metrics-insecure"}
		r.start()
		replicas = append(replicas, r)
		metricsAddrs = append(metricsAddrs, addr)
	}
	cp.policyReady(ns, soakTeam)
	t.Logf("control plane and two leader-elected manager processes up, policy Ready, after %s", time.Since(begin).Round(time.Millisecond))

	ctx := context.Background()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	routed := sampleRouted(sampleCtx, st, ns+"/bulk")
	leaders := watchLeaders(sampleCtx, metricsAddrs)

	n := 0
	next := time.Now()
	stream := func() {
		time.Sleep(time.Until(next))
		next = next.Add(every)
		seedBulkRange(t, st, n, n+batch)
		n += batch
	}
	var report []string
	var worstRouted time.Duration
	for k := 0; k < kills; k++ {
		// The leader routes a few batches before it dies.
		for i := 0; i < 3; i++ {
			stream()
		}
		leader := leaders.current(t, 10*time.Second)
		before := cp.lease(ns)
		killedAt := time.Now()
		replicas[leader].kill()
		replicas[leader].start()

		// Leads keep arriving while no one routes them.
		var acquiredAt time.Time
		taker := -1
		for {
			stream()
			if taker < 0 {
				taker, acquiredAt = leaders.firstLeaderAfter(killedAt)
			}
			if taker >= 0 && !routed.firstRiseAfter(acquiredAt).IsZero() {
				break
			}
			if time.Since(killedAt) > takeoverBound {
				t.Fatalf("kill %d: no lead routed %s after replica-%d, the leader, was SIGKILLed (Lease taken: %v)", k+1, takeoverBound, leader, taker >= 0)
			}
		}
		after := cp.lease(ns)
		// The killed process's last commit may land just after its exit; a second later, nothing
		// may be routed until a process holds the Lease.
		quiet := killedAt.Add(time.Second)
		resumed := routed.firstRiseAfter(quiet)
		if lastIdle := leaders.lastLeaderlessBefore(acquiredAt); resumed.Before(lastIdle) {
			t.Errorf("kill %d: a lead was routed %s after the kill, while neither process held the Lease (until at least %s)",
				k+1, resumed.Sub(killedAt).Round(time.Millisecond), lastIdle.Sub(killedAt).Round(time.Millisecond))
		}
		if ptr.Deref(after.Spec.HolderIdentity, "") == ptr.Deref(before.Spec.HolderIdentity, "") ||
			ptr.Deref(after.Spec.LeaseTransitions, 0) != ptr.Deref(before.Spec.LeaseTransitions, 0)+1 {
			t.Errorf("kill %d: Lease held by %q (transitions %d) before, %q (transitions %d) after; want a new holder and one more transition",
				k+1, ptr.Deref(before.Spec.HolderIdentity, ""), ptr.Deref(before.Spec.LeaseTransitions, 0),
				ptr.Deref(after.Spec.HolderIdentity, ""), ptr.Deref(after.Spec.LeaseTransitions, 0))
		}
		who := "the standby"
		if taker == leader {
			who = "the restarted process"
		}
		d := resumed.Sub(killedAt)
		worstRouted = max(worstRouted, d)
		report = append(report, fmt.Sprintf("kill %d (replica-%d): Lease taken by %s (replica-%d) %s after, first lead routed %s after",
			k+1, leader, who, taker, acquiredAt.Sub(killedAt).Round(time.Millisecond), d.Round(time.Millisecond)))
	}
	// The last leader routes a couple more batches, then the stream ends.
	for i := 0; i < 2; i++ {
		stream()
	}
	streamed := time.Since(begin)
	checkEveryLeadDecidedOnce(t, st, n)
	checkRoundRobinCountedOnce(t, st, ns+"/bulk", int64(n-n/10), soakMembers)
	stopSampling()

	for _, line := range report {
		t.Log(line)
	}
	if worstRouted > takeoverBound {
		t.Errorf("routing resumed %s after a kill, want within %s", worstRouted.Round(time.Millisecond), takeoverBound)
	}
	ticks, routedBy := leaders.checkOneAtATime(t)
	t.Logf("%d leads, %d per second, %d leaders SIGKILLed: all decided exactly once; over %d scrapes of both processes' metrics never two held the Lease and a process not holding it had routed nothing (leads each process life routed, as last scraped: %v); stream ended %s after the control plane started",
		n, batch, kills, ticks, routedBy, streamed.Round(time.Millisecond))
	if d := time.Since(begin); d > 75*time.Second && os.Getenv("LEADOPS_SOAK") == "" {
		t.Errorf("the scenario took %s (after the build), want under 75 s", d.Round(time.Second))
	}
}

func (cp *controlPlane) lease(ns string) *coordinationv1.Lease {
	cp.t.Helper()
	l := &coordinationv1.Lease{}
	if err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: leaseName}, l); err != nil {
		cp.t.Fatalf("reading the leader-election Lease: %v", err)
	}
	return l
}

// leaderWatch scrapes each manager process's /metrics every 100 ms: whether it holds the Lease
// (leader_election_master_status) and how many leads it has routed (leadops_leads_routed_total).
type leaderWatch struct {
	mu    sync.Mutex
	ticks []leaderTick
}

// leaderTick is one round of scrapes; at is taken before the first, so every answer describes the
// process at or after at.
type leaderTick struct {
	at    time.Time
	procs []procSample
}

type procSample struct {
	up, leader bool
	routed     float64
}

func watchLeaders(ctx context.Context, addrs []string) *leaderWatch {
	w := &leaderWatch{}
	hc := &http.Client{Timeout: time.Second}
	go func() {
		for {
			tk := leaderTick{at: time.Now(), procs: make([]procSample, len(addrs))}
			for i, addr := range addrs {
				tk.procs[i] = scrapeLeader(ctx, hc, addr)
			}
			if ctx.Err() != nil {
				return
			}
			w.mu.Lock()
			w.ticks = append(w.ticks, tk)
			w.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func scrapeLeader(ctx context.Context, hc *http.Client, addr string) procSample {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return procSample{}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return procSample{}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return procSample{}
	}
	s := procSample{up: true}
	for _, line := range strings.Split(string(body), "\n") {
		switch {
		case strings.HasPrefix(line, `leader_election_master_status{name="`+leaseName+`"} `):
			s.leader = strings.HasSuffix(line, " 1")
		case strings.HasPrefix(line, "leadops_leads_routed_total{"):
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err == nil {
				s.routed += v
			}
		}
	}
	return s
}

// current waits for a round of scrapes begun from now on in which exactly one process holds the
// Lease, and returns its index.
func (w *leaderWatch) current(t testing.TB, timeout time.Duration) int {
	t.Helper()
	from := time.Now()
	for time.Since(from) < timeout {
		w.mu.Lock()
		for _, tk := range w.ticks {
			if tk.at.Before(from) {
				continue
			}
			leader, count := -1, 0
			for i, p := range tk.procs {
				if p.leader {
					leader, count = i, count+1
				}
			}
			if count == 1 {
				w.mu.Unlock()
				return leader
			}
		}
		w.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no single process held the Lease within %s", timeout)
	return -1
}

// firstLeaderAfter is the first process seen holding the Lease in a round begun after t, and that
// round's start (-1 when none has been yet).
func (w *leaderWatch) firstLeaderAfter(t time.Time) (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, tk := range w.ticks {
		if !tk.at.After(t) {
			continue
		}
		for i, p := range tk.procs {
			if p.leader {
				return i, tk.at
			}
		}
	}
	return -1, time.Time{}
}

// lastLeaderlessBefore is the start of the last round before t in which no process held the Lease.
func (w *leaderWatch) lastLeaderlessBefore(t time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last time.Time
	for _, tk := range w.ticks {
		if !tk.at.Before(t) {
			break
		}
		held := false
		for _, p := range tk.procs {
			held = held || p.leader
		}
		if !held {
			last = tk.at
		}
	}
	return last
}

// checkOneAtATime asserts that no round saw two processes holding the Lease, and that a process
// not holding it had routed nothing: controller-runtime ends a process that loses its Lease, so a
// process's routed count can only grow while it leads. It returns how many rounds it checked and the
// leads each process life routed, as last seen.
func (w *leaderWatch) checkOneAtATime(t testing.TB) (int, []int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var lives []int
	last := make([]float64, 0, 2)
	for _, tk := range w.ticks {
		holders := 0
		for i, p := range tk.procs {
			if p.leader {
				holders++
			}
			if p.up && !p.leader && p.routed > 0 {
				t.Errorf("%s: replica-%d does not hold the Lease but has routed %.0f leads", tk.at.Format(time.StampMilli), i, p.routed)
			}
			for len(last) <= i {
				last = append(last, 0)
			}
			// A count that falls (or a process that is down) ends a life: record what it routed.
			if (!p.up || p.routed < last[i]) && last[i] > 0 {
				lives = append(lives, int(last[i]))
				last[i] = 0
			}
			if p.up {
				last[i] = p.routed
			}
		}
		if holders > 1 {
			t.Errorf("%s: %d processes hold the Lease at once", tk.at.Format(time.StampMilli), holders)
		}
	}
	for _, v := range last {
		if v > 0 {
			lives = append(lives, int(v))
		}
	}
	return len(w.ticks), lives
}

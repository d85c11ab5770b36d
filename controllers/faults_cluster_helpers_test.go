package controllers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/testutil/kubeenv"
)

// controlPlane is a kube-apiserver + etcd of one test's own, so a fault test can stop its API server
// without taking the suite's down with it.
type controlPlane struct {
	t      testing.TB
	env    *envtest.Environment
	cfg    *rest.Config
	client client.Client
}

// startControlPlane starts a private envtest control plane with the CRDs installed. The API server's
// certificate directory is fixed rather than envtest's throwaway one: envtest removes a throwaway
// directory on Stop and mints a new serving CA on Start, which would make every client configured
// before a restart distrust the restarted server. With a fixed directory a restart reuses the same
// port, serving certificate and client CA, as a real kube-apiserver restart does.
func startControlPlane(t testing.TB) *controlPlane {
	t.Helper()
	assets, err := kubeenv.Assets()
	if err != nil {
		t.Fatal(err)
	}
	certDir, err := os.MkdirTemp("", "leadops-apiserver-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(certDir) })
	env := &envtest.Environment{
		CRDDirectoryPaths:       []string{filepath.Join(testRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing:   true,
		BinaryAssetsDirectory:   assets,
		ControlPlaneStopTimeout: apiServerStopTimeout,
	}
	// kube-apiserver drains for longer than envtest's 20 s stop timeout after SIGTERM; like the kubelet
	// after a pod's grace period, the test kills it, after 1 s: the drain is not what is under test.
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: certDir, StopTimeout: apiServerStopTimeout}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting a private control plane (kube-apiserver + etcd from %s): %v", assets, err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	return &controlPlane{t: t, env: env, cfg: cfg, client: c}
}

const apiServerStopTimeout = time.Second

// stopAPIServer stops the kube-apiserver with SIGTERM, then SIGKILL after apiServerStopTimeout, as a
// kubelet stops a static pod; etcd keeps running with everything it holds. It says which ended it.
func (cp *controlPlane) stopAPIServer() string {
	cp.t.Helper()
	err := cp.env.ControlPlane.APIServer.Stop()
	switch {
	case err == nil:
		return "SIGTERM"
	case strings.Contains(err.Error(), "timeout waiting for process kube-apiserver to stop"):
		// envtest sent SIGKILL and does not wait for the exit; the port frees within the outage.
		return fmt.Sprintf("SIGKILL after %s", apiServerStopTimeout)
	default:
		cp.t.Fatalf("stopping the kube-apiserver: %v", err)
		return ""
	}
}

// startAPIServer starts the kube-apiserver again on the same port, certificates and etcd, and
// returns once it reports healthy.
func (cp *controlPlane) startAPIServer() {
	cp.t.Helper()
	if err := cp.env.ControlPlane.APIServer.Start(); err != nil {
		cp.t.Fatalf("restarting the kube-apiserver on %s: %v", cp.cfg.Host, err)
	}
}

// kubeconfig provisions an admin user and writes a kubeconfig for it, for managers run as processes.
func (cp *controlPlane) kubeconfig() string {
	cp.t.Helper()
	user, err := cp.env.AddUser(envtest.User{Name: "fault-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		cp.t.Fatalf("provisioning a kubeconfig user: %v", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		cp.t.Fatal(err)
	}
	path := filepath.Join(cp.t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		cp.t.Fatal(err)
	}
	return path
}

func (cp *controlPlane) namespace(name string) string {
	cp.t.Helper()
	if err := cp.client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		cp.t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

func (cp *controlPlane) mustCreate(ns, doc string) {
	cp.t.Helper()
	if err := cp.client.Create(context.Background(), decode(cp.t, ns, doc)); err != nil {
		cp.t.Fatalf("creating object: %v\n%s", err, doc)
	}
}

// bulkPolicyReady creates bulkTeam and bulkPolicy in ns and waits until a manager has found the
// policy Ready.
func (cp *controlPlane) bulkPolicyReady(ns string) { cp.t.Helper(); cp.policyReady(ns, bulkTeam) }

// soakTeam is bulkTeam with room for the soak's 45,000 qualified leads: bulkTeam's 4 × 5,000 would
// queue the rest, and the test would wait for leads no one may take. (A member's capacity is at most
// 10,000.)
const soakTeam = `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: America/New_York
  members: [{name: r1, capacity: 10000}, {name: r2, capacity: 10000}, {name: r3, capacity: 10000}, {name: r4, capacity: 10000}, {name: r5, capacity: 10000}, {name: r6, capacity: 10000}]
`

// soakMembers is how many members soakTeam has.
const soakMembers = 6

// policyReady creates team and bulkPolicy in ns and waits until a manager has found the policy Ready.
func (cp *controlPlane) policyReady(ns, team string) {
	cp.t.Helper()
	cp.mustCreate(ns, team)
	cp.mustCreate(ns, bulkPolicy)
	cp.eventuallyPolicy(ns, "bulk", 30*time.Second, func(g Gomega, p *leadopsv1.LeadPolicy) {
		g.Expect(p.Status.ObservedGeneration).To(Equal(p.Generation))
		var ready string
		for _, c := range p.Status.Conditions {
			if c.Type == leadopsv1.ConditionReady {
				ready = string(c.Status)
			}
		}
		g.Expect(ready).To(Equal("True"))
	})
}

func (cp *controlPlane) eventuallyPolicy(ns, name string, timeout time.Duration, ok func(Gomega, *leadopsv1.LeadPolicy)) {
	cp.t.Helper()
	NewWithT(cp.t).Eventually(func(g Gomega) {
		p := &leadopsv1.LeadPolicy{}
		g.Expect(cp.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, p)).To(Succeed())
		ok(g, p)
	}).WithTimeout(timeout).WithPolling(100 * time.Millisecond).Should(Succeed())
}

// eventsByReason counts the Events in ns by reason (events.k8s.io and core, which show the same
// objects), and fails on any Event the API server merged into a series: a series means the same
// Event was recorded again and again.
func (cp *controlPlane) eventsByReason(ns string) map[string]int {
	cp.t.Helper()
	evs := &eventsv1.EventList{}
	if err := cp.client.List(context.Background(), evs, client.InNamespace(ns)); err != nil {
		cp.t.Fatalf("listing Events: %v", err)
	}
	out := map[string]int{}
	for _, ev := range evs.Items {
		out[ev.Reason]++
		if ev.Series != nil || ev.DeprecatedCount > 1 {
			cp.t.Errorf("Event %s %q recorded %d times: %s", ev.Reason, ev.Regarding.Name, max(ev.DeprecatedCount, ptr.Deref(ev.Series, eventsv1.EventSeries{}).Count), ev.Note)
		}
	}
	return out
}

func formatReasons(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// managerOpts is how a fault test runs an in-process manager against a private control plane.
type managerOpts struct {
	ns string
	// leaderElection elects through a Lease in ns with the manager's default timings, as main.go does.
	leaderElection bool
}

// runManager starts a manager wired as startManager wires it, against cfg; the returned channel
// yields mgr.Start's result (a lost lease ends a leader-elected manager on its own) and stop cancels
// it.
func runManager(t testing.TB, cfg *rest.Config, st store.Backend, o managerOpts) (<-chan error, func()) {
	t.Helper()
	done, stop, err := tryManager(cfg, st, o)
	if err != nil {
		t.Fatal(err)
	}
	return done, stop
}

// tryManager is runManager for a supervisor goroutine, which must not call t.Fatal: creating a
// manager fails while the API server is down, and the supervisor tries again, as a kubelet restarts
// a crashing container.
func tryManager(cfg *rest.Config, st store.Backend, o managerOpts) (<-chan error, func(), error) {
	opts := ctrl.Options{
		Scheme:                 testScheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{o.ns: {}}},
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if o.leaderElection {
		opts.LeaderElection = true
		opts.LeaderElectionID = "leadops.leadops.io"
		opts.LeaderElectionNamespace = o.ns
		opts.LeaderElectionReleaseOnCancel = true
	}
	if os.Getenv("LEADOPS_TEST_VERBOSE") == "" {
		// Every status write and Event fails while the API server is down, by design: its error logs
		// would bury the figures.
		// (logr.Discard() would not do: controller-runtime replaces a sink-less logger with its global one.)
		opts.Logger = zap.New(zap.WriteTo(io.Discard))
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("creating manager: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := Setup(ctx, mgr, clock.Real{}, Instrument(st)); err != nil {
		cancel()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	return done, func() { once.Do(cancel) }, nil
}

// routedSeries samples a policy's routed count in the store every 50 ms, to tell when routing paused
// and when it resumed.
type routedSeries struct {
	mu      sync.Mutex
	samples []routedSample
}

type routedSample struct {
	at     time.Time
	routed int64
}

func sampleRouted(ctx context.Context, st store.Backend, policy string) *routedSeries {
	s := &routedSeries{}
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if ps, err := st.PolicyStats(ctx, policy); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, routedSample{at: time.Now(), routed: ps.Routed})
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// at is the routed count last sampled at or before t.
func (s *routedSeries) at(t time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, x := range s.samples {
		if x.at.After(t) {
			break
		}
		n = x.routed
	}
	return n
}

// firstRiseAfter is when the routed count first grew after t (zero when it has not).
func (s *routedSeries) firstRiseAfter(t time.Time) time.Time {
	base := s.at(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.samples {
		if x.at.After(t) && x.routed > base {
			return x.at
		}
	}
	return time.Time{}
}

// firstAtLeast is when the routed count first reached n (zero when it has not).
func (s *routedSeries) firstAtLeast(n int64) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.samples {
		if x.routed >= n {
			return x.at
		}
	}
	return time.Time{}
}

// lastRiseBefore is when the routed count last grew before t (zero when it never did).
func (s *routedSeries) lastRiseBefore(t time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	var prev int64 = -1
	for _, x := range s.samples {
		if x.at.After(t) {
			break
		}
		if prev >= 0 && x.routed > prev {
			last = x.at
		}
		prev = x.routed
	}
	return last
}

// streamBulkLeads upserts bulk-NNNNN leads (every tenth below the qualification gate, as seedBulk does)
// into each store at rate per second until ctx ends, and returns how many it wrote to each (a
// multiple of ten, so checkEveryLeadDecidedOnce's count of disqualified leads holds).
func streamBulkLeads(ctx context.Context, t testing.TB, rate int, stores ...store.Backend) <-chan int {
	out := make(chan int, 1)
	go func() {
		n := 0
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				if n%10 == 0 {
					out <- n
					return
				}
			case <-tick.C:
			}
			score := int64(50)
			if n%10 == 0 {
				score = 5
			}
			for _, st := range stores {
				if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: fmt.Sprintf("bulk-%05d", n), Score: score}, "seed"); err != nil {
					t.Errorf("writing lead %d: %v", n, err)
				}
			}
			n++
		}
	}()
	return out
}

// buildManagerBinary builds the manager (the repository's main package) into a temporary directory:
// a real SIGKILL needs a real process.
func buildManagerBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manager")
	start := time.Now()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	cmd.Dir = testRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	t.Logf("built the manager in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// replica is one manager process, as one pod of a Deployment runs it.
type replica struct {
	t          testing.TB
	name       string
	bin        string
	kubeconfig string
	dsn        string
	probeAddr  string
	logPath    string
	// args are more flags for every start, after the defaults (of a repeated flag the last wins).
	args []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	starts  int
	readyIn []time.Duration
}

func newReplica(t testing.TB, name, bin, kubeconfig, dsn string) *replica {
	t.Helper()
	r := &replica{t: t, name: name, bin: bin, kubeconfig: kubeconfig, dsn: dsn,
		probeAddr: fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)), logPath: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			if b, err := os.ReadFile(r.logPath); err == nil {
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("%s log (tail):\n%s", r.name, b)
			}
		}
	})
	return r
}

// start runs the manager as main.go does in a pod, with the store DSN from the environment as a
// Secret would give it, and returns at once; ready reports when /readyz answers.
func (r *replica) start() {
	r.t.Helper()
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.bin, "--kubeconfig", r.kubeconfig, "--metrics-bind-address=0", "--api-bind-address=0",
		"--health-probe-bind-address="+r.probeAddr)
	cmd.Args = append(cmd.Args, r.args...)
	cmd.Env = append(os.Environ(), "LEADOPS_STORE_DSN="+r.dsn)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		r.t.Fatalf("starting %s: %v", r.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.starts++
	r.mu.Unlock()
	began := time.Now()
	go func() {
		// Record how long the process took to answer /readyz (store reachable, caches synced).
		for {
			select {
			case <-exited:
				return
			case <-time.After(20 * time.Millisecond):
			}
			resp, err := http.Get("http://" + r.probeAddr + "/readyz")
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					r.mu.Lock()
					r.readyIn = append(r.readyIn, time.Since(began))
					r.mu.Unlock()
					return
				}
			}
		}
	}()
}

// kill sends SIGKILL, as the OOM killer or a node failure does, and waits for the process to end.
func (r *replica) kill() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

func freeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

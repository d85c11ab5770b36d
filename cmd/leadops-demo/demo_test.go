package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/testutil/syncbuf"
)

// children returns the pids of the running processes whose parent is pid, by command name.
func children(t *testing.T, pid int) map[int]string {
	t.Helper()
	out := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
		s := string(stat)
		open, closeIdx := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closeIdx < 0 {
			continue
		}
		fields := strings.Fields(s[closeIdx+1:])
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			out[p] = s[open+1 : closeIdx]
		}
	}
	return out
}

// alive reports whether pid still runs as the named command (a reused pid with another name does not count).
func alive(pid int, comm string) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	return strings.Contains(s, "("+comm+")") && !strings.Contains(s[strings.LastIndexByte(s, ')'):], ") Z ")
}

// TestDemoShowsRoutingBreachesAndGoalsThenStopsCleanly runs the demo as `make demo` does, at a higher
// speed, and checks what a user would see with the printed kubeconfig, token and API address: leads
// routed, an SLA breach on the policy, goal progress; then Ctrl-C, after which no kube-apiserver or
// etcd it started is left running.
func TestDemoShowsRoutingBreachesAndGoalsThenStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane and runs for about a minute")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to check for leftover processes")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "leadops-demo")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the demo: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "demo")
	// --duration is a backstop: the test interrupts it well before.
	cmd := exec.Command(bin, "--dir", dir, "--speed", "120", "--duration", "150s", "--status-every", "5s")
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	}()

	// The welcome block comes after the API listens.
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops everything") {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the demo exited early: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo did not print its welcome within 90s")
		}
	}
	started := time.Now()
	welcome := out.String()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	for _, want := range []string{kubeconfig, "kubectl get leadpolicies,teams,teamgoals", "--token-file " + filepath.Join(dir, "token"), "curl -s -H 'Authorization: Bearer "} {
		if !strings.Contains(welcome, want) {
			t.Errorf("the welcome does not mention %q", want)
		}
	}
	procs := children(t, cmd.Process.Pid)
	found := map[string]bool{}
	for _, comm := range procs {
		found[comm] = true
	}
	if !found["kube-apiserver"] || !found["etcd"] {
		t.Fatalf("want kube-apiserver and etcd as children of the demo, got %v", procs)
	}

	// What the user sees through the printed kubeconfig.
	restCfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("the printed kubeconfig does not load: %v", err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(leadopsv1.AddToScheme(scheme))
	k8s, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var (
		pol        leadopsv1.LeadPolicy
		goals      leadopsv1.TeamGoalList
		seeded     = int64(-1)
		condTrue   bool
		goalsShown bool
	)
	for {
		if time.Now().After(started.Add(80 * time.Second)) {
			t.Fatalf("after 80s: policy status %+v, goals %+v, SLABreached=True seen: %v", pol.Status, goals.Items, condTrue)
		}
		time.Sleep(time.Second)
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "inbound"}, &pol); err != nil {
			continue
		}
		if seeded < 0 && pol.Status.ObservedGeneration > 0 {
			seeded = pol.Status.Routed
		}
		if c := meta.FindStatusCondition(pol.Status.Conditions, leadopsv1.ConditionSLABreached); c != nil && c.Status == "True" {
			condTrue = true
		}
		if err := k8s.List(ctx, &goals, client.InNamespace("default")); err != nil {
			continue
		}
		goalsShown = len(goals.Items) == 2
		for _, g := range goals.Items {
			goalsShown = goalsShown && g.Status.Current != "" && g.Status.Target != "" &&
				meta.FindStatusCondition(g.Status.Conditions, leadopsv1.ConditionOnTrack) != nil
		}
		if pol.Status.Routed > 0 && pol.Status.Routed > seeded && seeded >= 0 && pol.Status.LastBreachTime != nil &&
			meta.FindStatusCondition(pol.Status.Conditions, leadopsv1.ConditionSLABreached) != nil && goalsShown {
			break
		}
	}
	t.Logf("after %s: routed %d (%d seeded), overdue %d, compliance %s, lastBreachTime %s, SLABreached=True seen: %v",
		time.Since(started).Round(time.Second), pol.Status.Routed, seeded, pol.Status.Breached, pol.Status.Compliance,
		pol.Status.LastBreachTime, condTrue)
	for _, g := range goals.Items {
		t.Logf("goal %s: %s of %s (%s)", g.Name, g.Status.Current, g.Status.Target, g.Status.Progress)
	}

	// kubectl, as the welcome tells the user to run it.
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		got, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "get", "leadpolicies,teams,teamgoals", "-n", "default").CombinedOutput()
		if err != nil || !strings.Contains(string(got), "inbound") || !strings.Contains(string(got), "sales-revenue-2027q1") {
			t.Errorf("kubectl get with the printed kubeconfig: %v\n%s", err, got)
		}
	}

	// The printed API address and token work.
	token, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		t.Fatal(err)
	}
	apiURL := ""
	for _, f := range strings.Fields(welcome) {
		if strings.HasPrefix(f, "http://127.0.0.1:") && apiURL == "" && !strings.Contains(f, "/metrics") {
			apiURL = f
		}
	}
	req, _ := http.NewRequest(http.MethodGet, apiURL+"/v1/leads?stage=routed&limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("calling the printed API address %q: %v", apiURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/v1/leads with the printed token: HTTP %d", apiURL, resp.StatusCode)
	}

	// Ctrl-C stops everything.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("the demo exited with %v after Ctrl-C", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30s of Ctrl-C")
	}
	for pid, comm := range procs {
		if alive(pid, comm) {
			t.Errorf("%s (pid %d) still runs after the demo stopped", comm, pid)
		}
	}
	if !strings.Contains(out.String(), "Stopped; nothing left running.") {
		t.Errorf("the demo did not report a clean stop")
	}
}

func TestSyntheticLeadsAreObviouslyFakeAndDeterministic(t *testing.T) {
	r1, r2 := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	qualified := 0
	for i := range 500 {
		a, b := synthLead(r1, "web", i, true), synthLead(r2, "web", i, true)
		if a.ExternalID != b.ExternalID || a.Company != b.Company || a.Score != b.Score {
			t.Fatalf("same seed, different leads: %+v vs %+v", a, b)
		}
		if !strings.HasSuffix(a.Domain, ".example") || !strings.HasSuffix(a.Email, "@"+a.Domain) {
			t.Fatalf("lead %d is not on the reserved .example TLD: %+v", i, a)
		}
		if a.Score < 0 || a.Score > 100 || a.Employees <= 0 || a.Source == "" || a.Campaign == "" {
			t.Fatalf("implausible lead: %+v", a)
		}
		if a.Score >= 60 {
			qualified++
		}
	}
	if qualified < 250 || qualified > 450 {
		t.Fatalf("%d of 500 leads pass the samples' gate (score >= 60); want most but not all", qualified)
	}
	for i := range 500 {
		if synthLead(r1, "crm", i, false).Source == "partner" {
			t.Fatal("history leads must not include partner leads, which no policy closes out")
		}
	}
}

func TestConfigRefusesNonLoopbackAPIAndBadStart(t *testing.T) {
	for _, c := range []func(*config){
		func(c *config) { c.apiAddr = "0.0.0.0:8082" },
		func(c *config) { c.apiAddr = ":8082" },
		func(c *config) { c.start = "Monday" },
		func(c *config) { c.speed = 0 },
	} {
		cfg := defaultConfig()
		c(&cfg)
		if err := cfg.validate(); err == nil {
			t.Errorf("config %+v validated", cfg)
		}
	}
	cfg := defaultConfig()
	if err := cfg.validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if st, _ := cfg.startTime(); st.Weekday() != time.Monday || st.Hour() != 9 {
		t.Fatalf("default start %v: want a Monday 09:00", st)
	}
}

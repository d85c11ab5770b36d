package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	// The samples' teams name IANA timezones.
	_ "time/tzdata"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/controllers"
	"github.com/leadops/leadops/internal/api"
	apiclient "github.com/leadops/leadops/internal/api/client"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/sqlite"
	"github.com/leadops/leadops/internal/testutil/kubeenv"
)

// config is what the flags set.
type config struct {
	speed     float64
	start     string // RFC 3339, or "" for defaultStart
	duration  time.Duration
	dir       string
	apiAddr   string
	namespace string
	seed      int64
	verbose   bool
	// status is how often a progress line is printed (real time); 0 disables.
	status time.Duration
}

// defaultStart is a Monday 09:00 in New York inside the samples' goal quarter (2027-Q1): business hours
// are running, so the first-touch SLA clock ticks from the first lead.
const defaultStart = "2027-02-01T09:00:00-05:00"

func defaultConfig() config {
	return config{speed: 120, apiAddr: "127.0.0.1:0", namespace: "default", seed: 1, status: 15 * time.Second}
}

func (c *config) bindFlags(fs *flag.FlagSet) {
	fs.Float64Var(&c.speed, "speed", c.speed, "simulated seconds per real second (120: the samples' one-hour SLA runs out in 30 real seconds)")
	fs.StringVar(&c.start, "start", c.start, "simulated start time, RFC 3339 (default "+defaultStart+", a Monday morning in New York in 2027-Q1)")
	fs.DurationVar(&c.duration, "duration", c.duration, "stop after this much real time (0: run until Ctrl-C)")
	fs.StringVar(&c.dir, "dir", c.dir, "keep the kubeconfig, token files, lead store and logs in this directory (default: a temporary one, removed on exit)")
	fs.StringVar(&c.apiAddr, "api-bind-address", c.apiAddr, "address of the lead store's HTTP API (loopback only)")
	fs.StringVar(&c.namespace, "namespace", c.namespace, "namespace of the samples")
	fs.Int64Var(&c.seed, "seed", c.seed, "seed of the synthetic lead stream (same seed, same leads)")
	fs.BoolVar(&c.verbose, "v", c.verbose, "print the manager's log to stderr too (it always goes to manager.log in the demo directory)")
	fs.DurationVar(&c.status, "status-every", c.status, "print a progress line this often (0: never)")
}

func (c *config) validate() error {
	if c.speed < 1 {
		return fmt.Errorf("--speed must be at least 1, got %v", c.speed)
	}
	if _, err := c.startTime(); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(c.apiAddr)
	if err != nil {
		return fmt.Errorf("--api-bind-address %q: %w", c.apiAddr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--api-bind-address %q: the demo serves on a loopback address only", c.apiAddr)
	}
	return nil
}

func (c *config) startTime() (time.Time, error) {
	s := c.start
	if s == "" {
		s = defaultStart
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--start %q: want RFC 3339, e.g. %s", s, defaultStart)
	}
	return t, nil
}

// demo is one running demo.
type demo struct {
	cfg        config
	out        io.Writer
	dir        string
	clock      *clock.Accelerated
	kubeconfig string
	apiURL     string
	userToken  string
	tokenFile  string // the user's token alone, for leadctl --token-file
	repTokens  map[string]string
	managers   map[string]bool
	metricsURL string
	k8s        client.Client
	api        *apiclient.Client
	log        logr.Logger
}

// run starts the demo and blocks until ctx ends, then stops everything it started.
func run(ctx context.Context, cfg config, out io.Writer) (err error) {
	d := &demo{cfg: cfg, out: out}
	start, err := cfg.startTime()
	if err != nil {
		return err
	}

	d.dir = cfg.dir
	if d.dir == "" {
		if d.dir, err = os.MkdirTemp("", "leadops-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(d.dir)
	} else if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(d.dir, "manager.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	var logOut io.Writer = logFile
	if cfg.verbose {
		logOut = io.MultiWriter(logFile, os.Stderr)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logOut), zap.Level(zapcore.InfoLevel)))
	d.log = ctrl.Log.WithName("demo")

	root, err := kubeenv.RepoRoot()
	if err != nil {
		return fmt.Errorf("run the demo from the leadops repository: %w", err)
	}
	fmt.Fprintln(out, "Providing kube-apiserver and etcd (hack/envtest-assets.sh; built once per machine, cached after)…")
	assets, err := kubeenv.Assets()
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "Starting a local control plane (kube-apiserver + etcd) and installing the CRDs…")
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	restCfg, err := env.Start()
	if err != nil {
		_ = env.Stop() // whatever did start
		return fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	defer func() {
		if stopErr := env.Stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("stopping kube-apiserver and etcd: %w", stopErr)
		}
	}()
	if err := d.writeKubeconfig(env); err != nil {
		return err
	}

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(leadopsv1.AddToScheme(scheme))
	if d.k8s, err = client.New(restCfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}

	// One clock for the manager, the store and the API: simulated time, consistently.
	d.clock = clock.NewAccelerated(start, cfg.speed, nil)
	hist := &historyClock{now: d.clock.Now}
	st, err := sqlite.Open(ctx, filepath.Join(d.dir, "leads.db"), store.Options{Clock: hist.Now})
	if err != nil {
		return fmt.Errorf("opening the embedded lead store: %w", err)
	}
	defer st.Close()
	leadStore := controllers.Instrument(st)

	if err := d.applySamples(ctx, root); err != nil {
		return err
	}
	members, err := d.teamMembers(ctx)
	if err != nil {
		return err
	}
	if err := d.writeTokens(members); err != nil {
		return err
	}
	fmt.Fprintln(out, "Seeding the lead store with last quarter's and this quarter's earlier leads (the goals' baseline)…")
	if err := seedHistory(ctx, st, hist, start, cfg.namespace, cfg.seed); err != nil {
		return fmt.Errorf("seeding the lead store: %w", err)
	}

	mgrCtx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	mgrDone, err := d.startManager(mgrCtx, restCfg, scheme, leadStore)
	if err != nil {
		return err
	}
	// Wait for the manager (and its API server) to stop before the control plane and the store go.
	defer func() {
		stopMgr()
		if mgrErr := <-mgrDone; mgrErr != nil && err == nil {
			err = fmt.Errorf("manager: %w", mgrErr)
		}
	}()

	d.api = &apiclient.Client{BaseURL: d.apiURL, Token: d.repTokens[marketingTool]}
	if err := d.seedAccounts(ctx); err != nil {
		return err
	}
	d.printWelcome(start)

	sim := newSimulator(d, cfg.seed)
	simDone := make(chan struct{})
	go func() {
		defer close(simDone)
		sim.run(ctx)
	}()
	if cfg.status > 0 {
		go d.reportLoop(ctx, cfg.status, sim)
	}
	<-ctx.Done()
	<-simDone
	d.printSummary(context.Background(), sim)
	return nil
}

// historyClock is the store's clock: the demo clock, except while seeding history at chosen instants.
type historyClock struct {
	now func() time.Time
	at  time.Time // non-zero while seeding
}

func (h *historyClock) Now() time.Time {
	if !h.at.IsZero() {
		return h.at
	}
	return h.now()
}

// writeKubeconfig provisions an admin user on the API server and writes a kubeconfig for it.
func (d *demo) writeKubeconfig(env *envtest.Environment) error {
	user, err := env.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("provisioning a kubeconfig user: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	d.kubeconfig = filepath.Join(d.dir, "kubeconfig")
	return os.WriteFile(d.kubeconfig, kc, 0o600)
}

// marketingTool is the token name the lead stream uses; reps use their own names.
const marketingTool = "marketing-tool"

// writeTokens writes the API's token file: one token for the person running the demo, one for the
// simulated marketing tool, one per simulated rep (the API records the token's name as the actor).
func (d *demo) writeTokens(members []string) error {
	d.repTokens = map[string]string{}
	var b strings.Builder
	b.WriteString("# leadops demo tokens (NAME:TOKEN scopes=…, docs/tokens.md)\n")
	d.userToken = randomToken()
	fmt.Fprintf(&b, "demo-user:%s scopes=admin\n", d.userToken)
	// The lead stream writes and lists leads, and acts for owners without a token of their own.
	tok := randomToken()
	d.repTokens[marketingTool] = tok
	fmt.Fprintf(&b, "%s:%s scopes=leads:write,leads:read,activities:any\n", marketingTool, tok)
	for _, name := range members {
		tok := randomToken()
		d.repTokens[name] = tok
		fmt.Fprintf(&b, "%s:%s scopes=leads:read,activities:own member=%s\n", name, tok, name)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "api-tokens"), []byte(b.String()), 0o600); err != nil {
		return err
	}
	d.tokenFile = filepath.Join(d.dir, "token")
	return os.WriteFile(d.tokenFile, []byte(d.userToken+"\n"), 0o600)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startManager runs the controllers, the HTTP API and the clock's ticker in one manager, wired as
// main.go wires them but on the demo clock, and returns once the API listens.
func (d *demo) startManager(ctx context.Context, restCfg *rest.Config, scheme *runtime.Scheme, st store.Backend) (<-chan error, error) {
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: "0",
		Logger:                 ctrl.Log.WithName("manager"),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := controllers.Setup(ctx, mgr, d.clock, st); err != nil {
		return nil, err
	}
	if err := mgr.Add(d.clock); err != nil {
		return nil, err
	}
	srv, err := api.NewServer(st, api.Options{Addr: d.cfg.apiAddr, TokenFile: filepath.Join(d.dir, "api-tokens"),
		Clock: d.clock.Now, Logger: ctrl.Log.WithName("api")})
	if err != nil {
		return nil, fmt.Errorf("setting up the HTTP API: %w", err)
	}
	listening := make(chan net.Addr, 1)
	srv.NotifyListening(func(a net.Addr) { listening <- a })
	if err := mgr.Add(srv); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	select {
	case a := <-listening:
		d.apiURL = "http://" + a.String()
	case err := <-done:
		if err == nil {
			err = errors.New("stopped before the API listened")
		}
		ch := make(chan error, 1)
		ch <- nil
		return ch, fmt.Errorf("manager: %w", err)
	case <-time.After(time.Minute):
		return done, errors.New("the HTTP API did not start listening within a minute")
	}
	d.metricsURL = "http://" + metricsAddr + "/metrics"
	return done, nil
}

// freeLoopbackAddr finds a free port on 127.0.0.1 (the metrics server does not report the port it binds).
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

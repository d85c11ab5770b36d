package controllers

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/postgres"
	"github.com/leadops/leadops/internal/store/sqlite"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// backends are the lead stores every controller scenario runs against.
var backends = []string{"sqlite", "postgres"}

func zapLevel() zapcore.Level {
	if os.Getenv("LEADOPS_TEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		// Benchmarks print figures; every scenario ends by stopping its manager mid-reconcile, and
		// the "context canceled" errors that follow would bury them. A benchmark fails on its own
		// checks, not on logs.
		return zapcore.DPanicLevel
	}
	return zapcore.ErrorLevel
}

// testEnv is one test's world: a namespace, a lead store, an injected clock and a running manager
// that only sees that namespace.
type testEnv struct {
	t     testing.TB
	ns    string
	dsn   string
	store store.Backend
	// clock is the fake clock tests move; nil when the environment runs on the real clock.
	clock *clock.Fake
	// clk is the clock the store and the manager use: clock or clock.Real{}.
	clk  clock.Clock
	stop func()
}

// envOption changes how startEnv builds the environment.
type envOption func(*envConfig)

type envConfig struct {
	realClock bool
}

// withRealClock runs the store and the manager on the wall clock (clock.Real{}) instead of a fake
// one: deadlines then pass in real time and RequeueAfter is what wakes the controllers, as in
// production. Benchmarks use it; startEnv's now is ignored and testEnv.clock is nil.
func withRealClock() envOption { return func(c *envConfig) { c.realClock = true } }

// openStore opens a fresh lead store of the given backend for t.
func openStore(t testing.TB, backend string, clk clock.Clock) (store.Backend, string) {
	t.Helper()
	ctx := context.Background()
	opts := store.Options{Clock: clk.Now}
	var (
		st  store.Backend
		err error
		dsn string
	)
	switch backend {
	case "sqlite":
		dsn = filepath.Join(t.TempDir(), "leads.db")
		st, err = sqlite.Open(ctx, dsn, opts)
	case "postgres":
		dsn = pgtest.NewDatabase(t)
		st, err = postgres.Open(ctx, dsn, opts)
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	if err != nil {
		t.Fatalf("opening the %s lead store: %v", backend, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, dsn
}

// reopen opens a second handle on the same store, as a restarted or second manager would.
func reopen(t testing.TB, backend, dsn string, clk clock.Clock) store.Backend {
	t.Helper()
	ctx := context.Background()
	opts := store.Options{Clock: clk.Now}
	var (
		st  store.Backend
		err error
	)
	if backend == "sqlite" {
		st, err = sqlite.Open(ctx, dsn, opts)
	} else {
		st, err = postgres.Open(ctx, dsn, opts)
	}
	if err != nil {
		t.Fatalf("reopening the %s lead store: %v", backend, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// startEnv creates a namespace, a store and a fake clock set to now (or the real clock, see
// withRealClock), and starts a manager.
func startEnv(t testing.TB, backend string, now time.Time, opts ...envOption) *testEnv {
	t.Helper()
	var cfg envConfig
	for _, o := range opts {
		o(&cfg)
	}
	e := &testEnv{t: t}
	if cfg.realClock {
		e.clk = clock.Real{}
	} else {
		e.clock = clock.NewFake(now)
		e.clk = e.clock
	}
	e.store, e.dsn = openStore(t, backend, e.clk)
	e.ns = newNamespace(t)
	e.stop = startManager(t, e.ns, e.store, e.clk)
	return e
}

// managerReaders holds, per namespace, the cache-backed client of the manager last started for it:
// what the reconcilers see, which can lag what the API server answers.
var managerReaders sync.Map // namespace → client.Reader

// eventuallyCached waits until the manager's own cache shows obj as ok wants it: a test that acts
// right after a status condition turned would otherwise race the informers (the reconcilers have
// not seen the change yet).
func (e *testEnv) eventuallyCached(obj client.Object, what string, ok func() bool) {
	e.t.Helper()
	r, found := managerReaders.Load(e.ns)
	if !found {
		e.t.Fatalf("no manager started for namespace %s", e.ns)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := r.(client.Reader).Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err == nil && ok() {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the manager's cache never showed %s/%s %s", obj.GetNamespace(), obj.GetName(), what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startManager runs a manager restricted to namespace ns until the returned stop is called (or the
// test ends).
func startManager(t testing.TB, ns string, st store.Backend, clk clock.Clock) func() {
	t.Helper()
	return startManagerLogging(t, ns, st, clk, logr.Logger{})
}

// startManagerLogging is startManager with the manager's and its controllers' log going to log (the
// zero Logger: the process-wide ctrl.Log).
func startManagerLogging(t testing.TB, ns string, st store.Backend, clk clock.Clock, log logr.Logger) func() {
	t.Helper()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 testScheme,
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		// Every test runs its own manager in this one process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatalf("creating manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := Setup(ctx, mgr, clk, Instrument(st)); err != nil {
		cancel()
		t.Fatal(err)
	}
	managerReaders.Store(ns, mgr.GetClient())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("manager stopped with an error: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

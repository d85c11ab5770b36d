// Command manager runs the leadops controllers, and the lead store's HTTP API beside them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	// Teams name IANA timezones; embed the database so a distroless image resolves them.
	_ "time/tzdata"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/controllers"
	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(leadopsv1.AddToScheme(scheme))
}

type config struct {
	metricsAddr, probeAddr string
	leaderElection         bool
	leaderElectionNS       string
	metricsInsecure        bool
	storeDSN               string
	apiAddr, apiTokenFile  string
	duplicateAttribute     string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	var cfg config
	flag.StringVar(&cfg.metricsAddr, "metrics-bind-address", ":8443", "Address the Prometheus metrics endpoint binds to (HTTPS, authenticated and authorized through the API server); \"0\" disables it.")
	flag.BoolVar(&cfg.metricsInsecure, "metrics-insecure", false, "Serve metrics over plain HTTP without authentication (local development only).")
	flag.StringVar(&cfg.probeAddr, "health-probe-bind-address", ":8081", "Address the liveness and readiness probes bind to.")
	flag.BoolVar(&cfg.leaderElection, "leader-elect", false, "Elect a leader among replicas so one routes at a time (correctness never depends on it).")
	flag.StringVar(&cfg.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader-election Lease; empty: the pod's own namespace (from its service account), which a manager run outside a cluster must set.")
	flag.StringVar(&cfg.storeDSN, "store", "sqlite://leadops.db",
		"Lead store: postgres://… for PostgreSQL, or sqlite://PATH for the embedded store. A non-empty LEADOPS_STORE_DSN (mounted from a Secret) takes precedence, so a Secret switches a deployment to PostgreSQL without editing its arguments.")
	flag.StringVar(&cfg.apiAddr, "api-bind-address", envOr("LEADOPS_API_ADDR", ":8082"), "Address the lead store's HTTP API binds to; \"0\" disables it.")
	flag.StringVar(&cfg.apiTokenFile, "api-token-file", envOr("LEADOPS_API_TOKEN_FILE", ""), "File of accepted API bearer tokens, one line per token: NAME:TOKEN scopes=… [member=…] [expires=…] [rate=…] [burst=…] (docs/tokens.md); re-read when it changes.")
	flag.StringVar(&cfg.duplicateAttribute, "duplicate-attribute", envOr("LEADOPS_DUPLICATE_ATTRIBUTE", ""),
		"Custom attribute (such as crmContactId) whose value identifies a person across sources: a new lead with another email but the same value as an open lead is linked to it as a duplicate, like a same-email lead. Empty: email only. Every process that writes leads (the manager, leadctl serve/import --store) should use the same value; LEADOPS_DUPLICATE_ATTRIBUTE sets it for all of them.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	if dsn := os.Getenv("LEADOPS_STORE_DSN"); dsn != "" {
		cfg.storeDSN = dsn
	}

	if err := run(ctrl.SetupSignalHandler(), cfg); err != nil {
		ctrl.Log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	log := ctrl.Log.WithName("setup")
	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	st, err := storeopen.Open(openCtx, cfg.storeDSN, store.Options{DuplicateAttribute: cfg.duplicateAttribute})
	cancel()
	if err != nil {
		return fmt.Errorf("opening the lead store: %w", err)
	}
	defer st.Close()
	leadStore := controllers.Instrument(st)

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOptions(cfg),
		HealthProbeBindAddress:        cfg.probeAddr,
		LeaderElection:                cfg.leaderElection,
		LeaderElectionID:              "leadops.leadops.io",
		LeaderElectionNamespace:       cfg.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	if err := controllers.Setup(ctx, mgr, clock.Real{}, leadStore, append(eventControllerOptions(), controllers.WithWriteBackHealth(crmWriteBackHealth))...); err != nil {
		return err
	}
	if cfg.apiAddr != "0" {
		crmOpts, err := setupCRMInbound(mgr)
		if err != nil {
			return err
		}
		srv, err := api.NewServer(leadStore, withAPISecurity(withAPIOverload(api.Options{Addr: cfg.apiAddr, TokenFile: cfg.apiTokenFile, Logger: ctrl.Log.WithName("api"), CRM: crmOpts})))
		if err != nil {
			return fmt.Errorf("setting up the HTTP API (set --api-token-file, or --api-bind-address=0 to run without it): %w", err)
		}
		if err := mgr.Add(srv); err != nil {
			return fmt.Errorf("adding the HTTP API: %w", err)
		}
		// Ready only once the API port serves: the probe server starts before runnables, and traffic
		// sent to a ready pod whose API is not listening yet is refused.
		if err := mgr.AddReadyzCheck("api", srv.ReadyCheck); err != nil {
			return fmt.Errorf("adding the API readiness check: %w", err)
		}
	}
	if err := setupCRMWriteBack(mgr, leadStore); err != nil {
		return err
	}
	if err := setupEvents(ctx, mgr, leadStore); err != nil {
		return err
	}
	if err := setupRetention(mgr, leadStore); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	// Ready only while the store answers: a replica that cannot reach it must not get API traffic.
	if err := mgr.AddReadyzCheck("store", controllers.StoreReadyCheck(st)); err != nil {
		return fmt.Errorf("adding readiness check: %w", err)
	}
	log.Info("starting manager", "store", storeKind(cfg.storeDSN), "api", cfg.apiAddr)
	return mgr.Start(ctx)
}

// metricsOptions serves metrics over HTTPS, letting only callers the API server authenticates and
// authorizes for GET /metrics (the metrics-reader ClusterRole) read them.
func metricsOptions(cfg config) metricsserver.Options {
	if cfg.metricsInsecure {
		return metricsserver.Options{BindAddress: cfg.metricsAddr}
	}
	return metricsserver.Options{
		BindAddress:    cfg.metricsAddr,
		SecureServing:  true,
		FilterProvider: filters.WithAuthenticationAndAuthorization,
	}
}

// storeKind names the backend without echoing the DSN, which may hold a password.
func storeKind(dsn string) string {
	kind, _, err := storeopen.Parse(dsn)
	if err != nil {
		return "invalid"
	}
	return string(kind)
}

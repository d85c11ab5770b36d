package controllers

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/lead"
)

// TestBreachWebhookFromAuditLog runs the breach webhook scenario of TestBreachWebhookNotifiesEachBreach
// the way main wires it when the store serves the event feed: Setup without the in-memory notifier,
// and event delivery with BreachSubscriptions as its source. The receiver gets the same notices, once
// each, even though it fails the first attempt at the first one (at least once).
func TestBreachWebhookFromAuditLog(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			hook := newHookReceiver(t)
			var mu sync.Mutex
			refused := false
			inner := hook.srv.Config.Handler
			hook.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				first := !refused
				refused = true
				mu.Unlock()
				if first {
					w.WriteHeader(http.StatusServiceUnavailable) // not recorded as a notice
					return
				}
				inner.ServeHTTP(w, r)
			})

			e := &testEnv{t: t, clock: clock.NewFake(testNow)}
			e.clk = e.clock
			e.store, e.dsn = openStore(t, backend, e.clk)
			e.ns = newNamespace(t)
			e.stop = startManagerWithEvents(t, e.ns, e)

			mustCreate(t, e.ns, slaTeam)
			mustCreate(t, e.ns, webhookSecret("sla-webhook", hook.srv.URL+"/hooks/sla?token=s3cr3t"))
			mustCreate(t, e.ns, webhookPolicy)
			l := createLead(t, e.apiClient(), personal)
			e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))

			e.clock.Set(testNow.Add(time.Hour))
			e.eventuallyLead(l.ID, "reassigned to rep-b", ownedBy("rep-b"))
			first := hook.waitNotices(t, 1)[0]
			want := map[string]any{
				"type": "leadops.sla.breached", "policy": e.ns + "/inbound", "leadId": l.ID, "sla": string(lead.SLAFirstTouch),
				"due": "2027-01-11T16:00:00Z", "detectedAt": "2027-01-11T16:00:00Z", "overdueSeconds": float64(0),
				"action": "reassigned", "reassignment": float64(1),
			}
			NewWithT(t).Expect(first).To(Equal(want))

			e.clock.Set(testNow.Add(2*time.Hour + 30*time.Second))
			e.eventuallyLead(l.ID, "escalated to sdr-lead", func(l *lead.Lead) bool { return l.Owner == "sdr-lead" })
			second := hook.waitNotices(t, 2)[1]
			want["due"], want["detectedAt"], want["overdueSeconds"], want["action"] =
				"2027-01-11T17:00:00Z", "2027-01-11T17:00:30Z", float64(30), "escalated"
			NewWithT(t).Expect(second).To(Equal(want))

			hook.mu.Lock()
			path := hook.paths[0]
			hook.mu.Unlock()
			if path != "/hooks/sla?token=s3cr3t" {
				t.Fatalf("notice went to %s", path)
			}
			for _, body := range hook.got() {
				if strings.Contains(body, personal.Email) || strings.Contains(body, "rep-a") {
					t.Fatalf("notice carries personal data or a handle: %s", body)
				}
			}
		})
	}
}

// startManagerWithEvents is startManager with the wiring of main_events.go: no in-memory breach
// notifier, and event delivery serving the LeadPolicies' breach webhooks.
func startManagerWithEvents(t *testing.T, ns string, e *testEnv) func() {
	t.Helper()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 testScheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatalf("creating manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := Setup(ctx, mgr, e.clk, Instrument(e.store), BreachNoticesFromAuditLog()); err != nil {
		cancel()
		t.Fatal(err)
	}
	svc := events.NewService("", e.store, e.store, events.Options{Clock: e.clk, Metrics: events.NewMetrics(),
		BaseBackoff: 50 * time.Millisecond, Poll: time.Second}, nil, 100*time.Millisecond)
	svc.AddSource("leadpolicies", (&BreachSubscriptions{Client: mgr.GetClient(), SecretReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("leadops-router"), Clock: e.clk}).List)
	if err := mgr.Add(svc); err != nil {
		cancel()
		t.Fatal(err)
	}
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

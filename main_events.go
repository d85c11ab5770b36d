package main

import (
	"context"
	"flag"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/leadops/leadops/controllers"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/store"
)

var eventSubscriptionsFile string

func init() {
	flag.StringVar(&eventSubscriptionsFile, "event-subscriptions", envOr("LEADOPS_EVENT_SUBSCRIPTIONS", ""),
		"Event subscription file (YAML, typically a mounted ConfigMap; see docs/events.md): every lead event is sent to each subscription's webhook as a signed CloudEvent, at least once. Re-read when it changes. Empty: no subscriptions (the LeadPolicies' breach webhooks are still served).")
}

// eventControllerOptions moves the LeadPolicies' breach webhooks from the router's in-memory queue to
// event delivery (at least once, from the audit log). Pass them to controllers.Setup; setupEvents
// then serves those webhooks.
func eventControllerOptions() []controllers.SetupOption {
	return []controllers.SetupOption{controllers.BreachNoticesFromAuditLog()}
}

// setupEvents adds event delivery (leader only) to the manager: the subscriptions of
// --event-subscriptions, and one per LeadPolicy with a breach webhook Secret. A subscription file that
// is unreadable or invalid at start stops the manager with the problem (its field paths, never a
// secret); later broken edits keep the last good configuration running.
func setupEvents(_ context.Context, mgr ctrl.Manager, st store.Backend) error {
	for _, c := range events.DefaultMetrics.Collectors() {
		if err := metrics.Registry.Register(c); err != nil {
			return fmt.Errorf("registering the event metrics: %w", err)
		}
	}
	svc := events.NewService(eventSubscriptionsFile, st, st, events.Options{Log: ctrl.Log.WithName("events")}, nil, 0)
	if eventSubscriptionsFile != "" {
		if _, err := svc.Load(); err != nil {
			return fmt.Errorf("--event-subscriptions: %w", err)
		}
	}
	breaches := &controllers.BreachSubscriptions{Client: mgr.GetClient(), SecretReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("leadops-router"), Clock: clock.Real{}}
	svc.AddSource("leadpolicy breach webhooks", breaches.List)
	if err := mgr.Add(svc); err != nil {
		return fmt.Errorf("adding event delivery: %w", err)
	}
	return nil
}

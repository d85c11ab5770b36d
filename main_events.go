package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/store"
)

var eventSubscriptionsFile string

func init() {
	flag.StringVar(&eventSubscriptionsFile, "event-subscriptions", envOr("LEADOPS_EVENT_SUBSCRIPTIONS", ""),
		"Event subscription file (YAML, typically a mounted ConfigMap; see docs/events.md): every lead event is sent to each subscription's webhook as a signed CloudEvent, at least once. Re-read when it changes. Empty: no events are sent.")
}

// eventStore is what event delivery reads from the lead store.
type eventStore interface {
	events.Feed
	events.LeadReader
}

// setupEvents adds the event delivery Service (leader only) to the manager when a subscription file
// is set. A file that is unreadable or invalid at start stops the manager with the problem (its field
// paths, never a secret); later broken edits keep the last good configuration running.
func setupEvents(_ context.Context, mgr ctrl.Manager, st store.Backend) error {
	if eventSubscriptionsFile == "" {
		return nil
	}
	es, ok := any(st).(eventStore)
	if !ok {
		return errors.New("--event-subscriptions is set but this lead store has no event feed")
	}
	for _, c := range events.DefaultMetrics.Collectors() {
		if err := metrics.Registry.Register(c); err != nil {
			return fmt.Errorf("registering the event metrics: %w", err)
		}
	}
	svc := events.NewService(eventSubscriptionsFile, es, es, events.Options{Log: ctrl.Log.WithName("events")}, nil, 0)
	if _, err := svc.Load(); err != nil {
		return fmt.Errorf("--event-subscriptions: %w", err)
	}
	if err := mgr.Add(svc); err != nil {
		return fmt.Errorf("adding event delivery: %w", err)
	}
	return nil
}

package controllers

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/store"
)

// storeWatcher turns the lead store's change notifications into controller-runtime events, so the
// router wakes the moment a lead is created or changed instead of polling. It is a manager Runnable;
// every replica runs it (the router itself only reconciles on the leader when election is on).
type storeWatcher struct {
	Store store.Store
	Out   chan event.GenericEvent
}

// routerObject stands for the single work item of the router: one pass routes every pending lead, so the
// workqueue coalesces a burst of notifications into one pass.
var routerObject = &leadopsv1.LeadPolicy{}

func init() { routerObject.Name, routerObject.Namespace = "router", "" }

func (w *storeWatcher) Start(ctx context.Context) error {
	changes, err := w.Store.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("subscribing to lead store changes: %w", err)
	}
	// A first pass at start-up routes whatever arrived while no controller ran.
	select {
	case w.Out <- event.GenericEvent{Object: routerObject}:
	case <-ctx.Done():
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				return nil
			}
			select {
			case w.Out <- event.GenericEvent{Object: routerObject}:
			default: // a wake-up is already queued; the pass will see this change too
			}
		}
	}
}

// wake asks the router for a pass without blocking: a pass already queued covers this request too.
func wake(ch chan event.GenericEvent) {
	if ch == nil {
		return
	}
	select {
	case ch <- event.GenericEvent{Object: routerObject}:
	default:
	}
}

// NeedLeaderElection is false: subscribing is harmless on every replica.
func (w *storeWatcher) NeedLeaderElection() bool { return false }

var _ client.Object = routerObject

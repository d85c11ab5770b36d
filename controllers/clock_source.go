package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
)

// clockWatcher re-queues every object whose status depends on time when a steppable clock jumps.
// Production uses the real clock and RequeueAfter; a jump only happens under an injected clock.
type clockWatcher struct {
	Client                 client.Reader
	Clock                  clock.Stepper
	Policies, Teams, Goals chan event.GenericEvent
	Wake                   chan event.GenericEvent
}

func (w *clockWatcher) Start(ctx context.Context) error {
	changes := w.Clock.Changes()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changes:
		}
		w.send(ctx, w.Wake, routerObject)
		policies := &leadopsv1.LeadPolicyList{}
		if err := w.Client.List(ctx, policies); err == nil {
			for i := range policies.Items {
				w.send(ctx, w.Policies, &policies.Items[i])
			}
		}
		teams := &leadopsv1.TeamList{}
		if err := w.Client.List(ctx, teams); err == nil {
			for i := range teams.Items {
				w.send(ctx, w.Teams, &teams.Items[i])
			}
		}
		goals := &leadopsv1.TeamGoalList{}
		if err := w.Client.List(ctx, goals); err == nil && w.Goals != nil {
			for i := range goals.Items {
				w.send(ctx, w.Goals, &goals.Items[i])
			}
		}
	}
}

func (w *clockWatcher) send(ctx context.Context, ch chan event.GenericEvent, obj client.Object) {
	select {
	case ch <- event.GenericEvent{Object: obj}:
	case <-ctx.Done():
	}
}

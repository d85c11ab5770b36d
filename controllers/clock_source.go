package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

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
		enqueueAll(ctx, w.Client, w.Goals, w.Teams, w.Policies)
	}
}

func (w *clockWatcher) send(ctx context.Context, ch chan event.GenericEvent, obj client.Object) {
	select {
	case ch <- event.GenericEvent{Object: obj}:
	case <-ctx.Done():
	}
}

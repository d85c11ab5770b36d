package controllers

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/store"
)

// goalRefresher recomputes goals and team flow when leads change, at most once per Debounce: a burst
// of ten thousand imports costs one recomputation, and a goal is never more than Debounce behind.
type goalRefresher struct {
	Client   client.Reader
	Store    store.Store
	Out      chan event.GenericEvent
	Teams    chan event.GenericEvent
	Debounce time.Duration
}

func (g *goalRefresher) Start(ctx context.Context) error {
	changes, err := g.Store.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("subscribing to lead store changes: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				return nil
			}
		}
		// Let the burst settle, swallowing what arrives meanwhile.
		timer := time.NewTimer(g.Debounce)
	settle:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return nil
			case <-changes:
			case <-timer.C:
				break settle
			}
		}
		g.enqueueAll(ctx)
	}
}

func (g *goalRefresher) enqueueAll(ctx context.Context) {
	goals := &leadopsv1.TeamGoalList{}
	if err := g.Client.List(ctx, goals); err == nil {
		for i := range goals.Items {
			select {
			case g.Out <- event.GenericEvent{Object: &goals.Items[i]}:
			case <-ctx.Done():
				return
			}
		}
	}
	teams := &leadopsv1.TeamList{}
	if err := g.Client.List(ctx, teams); err == nil {
		for i := range teams.Items {
			select {
			case g.Teams <- event.GenericEvent{Object: &teams.Items[i]}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// NeedLeaderElection is true: only the leader's reconcilers consume what it sends.
func (g *goalRefresher) NeedLeaderElection() bool { return true }

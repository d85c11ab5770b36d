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

// statusRefresher recomputes the status of goals, teams and policies when leads change (a touch
// clears a breach, an accept frees capacity, a win moves a goal), at most once per Debounce: a burst of
// ten thousand imports costs one recomputation, and a status is never more than Debounce behind.
type statusRefresher struct {
	Client   client.Reader
	Store    store.Store
	Goals    chan event.GenericEvent
	Teams    chan event.GenericEvent
	Policies chan event.GenericEvent
	Debounce time.Duration
}

func (g *statusRefresher) Start(ctx context.Context) error {
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

func (g *statusRefresher) enqueueAll(ctx context.Context) {
	enqueueAll(ctx, g.Client, g.Goals, g.Teams, g.Policies)
}

// enqueueAll sends every TeamGoal, Team and LeadPolicy to its reconciler's channel (nil skips a kind).
func enqueueAll(ctx context.Context, c client.Reader, goals, teams, policies chan event.GenericEvent) {
	send := func(ch chan event.GenericEvent, obj client.Object) bool {
		select {
		case ch <- event.GenericEvent{Object: obj}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if goals != nil {
		list := &leadopsv1.TeamGoalList{}
		if err := c.List(ctx, list); err == nil {
			for i := range list.Items {
				if !send(goals, &list.Items[i]) {
					return
				}
			}
		}
	}
	if teams != nil {
		list := &leadopsv1.TeamList{}
		if err := c.List(ctx, list); err == nil {
			for i := range list.Items {
				if !send(teams, &list.Items[i]) {
					return
				}
			}
		}
	}
	if policies != nil {
		list := &leadopsv1.LeadPolicyList{}
		if err := c.List(ctx, list); err == nil {
			for i := range list.Items {
				if !send(policies, &list.Items[i]) {
					return
				}
			}
		}
	}
}

// NeedLeaderElection is true: only the leader's reconcilers consume what it sends.
func (g *statusRefresher) NeedLeaderElection() bool { return true }

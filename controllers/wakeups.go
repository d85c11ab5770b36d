package controllers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
)

// wakeups owns every channel that wakes a reconciler from outside Kubernetes' own watches, and the
// throttles between them. The flow:
//
//	lead store change ─┬─► router: one pass, coalesced (a queued pass covers every change before it)
//	                   └─► status of every policy, team and goal, debounced (Debounce after a burst)
//	routing pass ───────► status of the policies and teams it changed, at most once a second each
//	                      (nudge: the first at once, the rest folded into one at the end of the second)
//	Team reconciler ────► router, when a member's availability changed (back from out-of-office)
//	LeadPolicy reconciler► router, when a handoff is overdue (record the breach now)
//	clock jump ─────────► router and every status, LeadExperiments too (injected, steppable clocks
//	                      only; production schedules time-driven work with RequeueAfter). Experiments
//	                      are not refreshed on store changes: each evaluation reads all their leads, so
//	                      they re-evaluate on their own bounded interval.
//
// The lead store is subscribed to once. It runs on the leader only: the reconcilers that read the
// channels run there.
type wakeups struct {
	Router, Policies, Teams, Goals chan event.GenericEvent
	// Experiments receives every LeadExperiment on a clock jump.
	Experiments chan event.GenericEvent
	Changes     ChangeSource
	Client      client.Reader
	// Clock is watched for jumps when it is a clock.Stepper.
	Clock    clock.Clock
	Debounce time.Duration

	nudges     statusNudger
	refreshing atomic.Bool
}

// ChangeSource is the lead store's change feed.
type ChangeSource interface {
	Subscribe(ctx context.Context) (<-chan store.Change, error)
}

func newWakeups(changes ChangeSource, c client.Reader, clk clock.Clock) *wakeups {
	return &wakeups{
		Router:   make(chan event.GenericEvent, 1),
		Policies: make(chan event.GenericEvent, 64),
		Teams:    make(chan event.GenericEvent, 64),
		Goals:    make(chan event.GenericEvent, 64),
		// Experiments: sized apart, so a jump never blocks the other refreshes behind them.
		Experiments: make(chan event.GenericEvent, 64),
		Changes:     changes, Client: c, Clock: clk,
		Debounce: 2 * time.Second,
		nudges:   statusNudger{throttle[nudgeKey]{interval: statusNudgeInterval}},
	}
}

// routerObject stands for the single work item of the router: one pass routes every pending lead, so
// the workqueue coalesces a burst of wake-ups into one pass.
var routerObject = func() *leadopsv1.LeadPolicy {
	o := &leadopsv1.LeadPolicy{}
	o.Name = "router"
	return o
}()

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

// nudge asks for obj's status to be recomputed, throttled per object.
func (w *wakeups) nudge(ch chan event.GenericEvent, obj client.Object) {
	if w == nil || ch == nil {
		return
	}
	w.nudges.send(ch, obj)
}

// Start subscribes to the store and the clock and fans their signals out until ctx ends.
func (w *wakeups) Start(ctx context.Context) error {
	changes, err := w.Changes.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("subscribing to lead store changes: %w", err)
	}
	var jumps <-chan struct{}
	if s, ok := w.Clock.(clock.Stepper); ok {
		jumps = s.Changes()
	}
	// A first pass at start-up routes whatever arrived while no controller ran.
	wake(w.Router)
	var settle <-chan time.Time // armed while a burst of store changes settles
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				return nil
			}
			wake(w.Router)
			if settle == nil {
				settle = time.After(w.Debounce)
			}
		case <-settle:
			settle = nil
			if !w.refreshAll(ctx) {
				settle = time.After(refreshRetry) // one is still going out: send again once it is done
			}
		case <-jumps:
			wake(w.Router)
			go enqueueExperiments(ctx, w.Client, w.Experiments)
			if !w.refreshAll(ctx) {
				settle = time.After(refreshRetry)
			}
		}
	}
}

// refreshRetry is how soon a refresh that found the previous one still going out is tried again.
const refreshRetry = 50 * time.Millisecond

// refreshAll sends every object to its status reconciler in the background, one refresh at a time, so
// the loop keeps waking the router while reconcilers take their time; false when one is still running.
func (w *wakeups) refreshAll(ctx context.Context) bool {
	if !w.refreshing.CompareAndSwap(false, true) {
		return false
	}
	go func() {
		defer w.refreshing.Store(false)
		enqueueAll(ctx, w.Client, w.Goals, w.Teams, w.Policies)
	}()
	return true
}

// NeedLeaderElection is true: only the leader's reconcilers consume what it sends.
func (w *wakeups) NeedLeaderElection() bool { return true }

// enqueueAll sends every TeamGoal, Team and LeadPolicy to its reconciler's channel.
func enqueueAll(ctx context.Context, c client.Reader, goals, teams, policies chan event.GenericEvent) {
	send := func(ch chan event.GenericEvent, obj client.Object) bool {
		select {
		case ch <- event.GenericEvent{Object: obj}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	goalList, teamList, policyList := &leadopsv1.TeamGoalList{}, &leadopsv1.TeamList{}, &leadopsv1.LeadPolicyList{}
	if err := c.List(ctx, goalList); err == nil {
		for i := range goalList.Items {
			if !send(goals, &goalList.Items[i]) {
				return
			}
		}
	}
	if err := c.List(ctx, teamList); err == nil {
		for i := range teamList.Items {
			if !send(teams, &teamList.Items[i]) {
				return
			}
		}
	}
	if err := c.List(ctx, policyList); err == nil {
		for i := range policyList.Items {
			if !send(policies, &policyList.Items[i]) {
				return
			}
		}
	}
}

// enqueueExperiments sends every LeadExperiment to its reconciler's channel.
func enqueueExperiments(ctx context.Context, c client.Reader, ch chan event.GenericEvent) {
	if ch == nil {
		return
	}
	list := &leadopsv1.LeadExperimentList{}
	if err := c.List(ctx, list); err != nil {
		return
	}
	for i := range list.Items {
		select {
		case ch <- event.GenericEvent{Object: &list.Items[i]}:
		case <-ctx.Done():
			return
		}
	}
}

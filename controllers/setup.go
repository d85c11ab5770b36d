package controllers

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/notify"
)

// Setup registers the indexes and every reconciler with the manager. Tests call it too, so the wiring
// they exercise is the wiring that ships.
func Setup(ctx context.Context, mgr ctrl.Manager, clk clock.Clock, st LeadStore) error {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return fmt.Errorf("registering field indexes: %w", err)
	}
	policyChanged := make(chan event.GenericEvent, 64)
	wake := make(chan event.GenericEvent, 1)
	teamChanged := make(chan event.GenericEvent, 64)
	if err := (&TeamReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Changed: teamChanged, Wake: wake}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Team controller: %w", err)
	}
	exprErrors := newExpressionErrors()
	if err := (&LeadPolicyReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Changed: policyChanged, Wake: wake, Recorder: mgr.GetEventRecorder("leadpolicy-controller"),
		ExpressionErrors: exprErrors}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the LeadPolicy controller: %w", err)
	}
	goalChanged := make(chan event.GenericEvent, 64)
	if err := (&TeamGoalReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Changed: goalChanged, Recorder: mgr.GetEventRecorder("teamgoal-controller")}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TeamGoal controller: %w", err)
	}
	// Breach notices go out from their own queue, so a slow webhook never holds up a routing pass.
	notifier := notify.New(notify.Options{Log: ctrl.Log.WithName("breach-webhook")})
	if err := mgr.Add(notifier); err != nil {
		return fmt.Errorf("adding the breach webhook notifier: %w", err)
	}
	if err := (&RouterReconciler{Client: mgr.GetClient(), Store: st, Clock: clk,
		Recorder: mgr.GetEventRecorder("leadops-router"), Wake: wake,
		PolicyChanged: policyChanged, TeamChanged: teamChanged,
		Notifier: notifier, SecretReader: mgr.GetAPIReader(), ExpressionErrors: exprErrors}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the router: %w", err)
	}
	if err := mgr.Add(&statusRefresher{Client: mgr.GetClient(), Store: st, Goals: goalChanged, Teams: teamChanged,
		Policies: policyChanged, Debounce: 2 * time.Second}); err != nil {
		return fmt.Errorf("adding the status refresher: %w", err)
	}
	if err := mgr.Add(&storePinger{Store: st, Interval: 15 * time.Second}); err != nil {
		return fmt.Errorf("adding the store pinger: %w", err)
	}
	if stepper, ok := clk.(clock.Stepper); ok {
		if err := mgr.Add(&clockWatcher{Client: mgr.GetClient(), Clock: stepper, Policies: policyChanged,
			Teams: teamChanged, Goals: goalChanged, Wake: wake}); err != nil {
			return fmt.Errorf("adding the clock watcher: %w", err)
		}
	}
	return nil
}

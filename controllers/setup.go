package controllers

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/crm/writeback"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/webhook"
)

// SetupOption changes what Setup wires.
type SetupOption func(*setupConfig)

type setupConfig struct {
	breachNotifier bool
	writeBack      *writeback.Registry
}

// BreachNoticesFromAuditLog leaves the LeadPolicies' breach webhooks to event delivery (internal/events
// with BreachSubscriptions as a source): the router no longer queues breach notices in memory, so
// each breach is notified once, at least once, from the audit log.
func BreachNoticesFromAuditLog() SetupOption {
	return func(c *setupConfig) { c.breachNotifier = false }
}

// Setup registers the indexes and every reconciler with the manager. Tests call it too, so the wiring
// they exercise is the wiring that ships. st is the whole lead store (storeopen.Open's result, or
// Instrument's); each reconciler keeps only the methods it declares.
func Setup(ctx context.Context, mgr ctrl.Manager, clk clock.Clock, st store.Backend, opts ...SetupOption) error {
	cfg := setupConfig{breachNotifier: true}
	for _, o := range opts {
		o(&cfg)
	}
	if err := SetupIndexes(ctx, mgr); err != nil {
		return fmt.Errorf("registering field indexes: %w", err)
	}
	w := newWakeups(st, mgr.GetClient(), clk)
	if err := (&TeamReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Changed: w.Teams, Wake: w.Router}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Team controller: %w", err)
	}
	exprErrors := newExpressionErrors()
	lpr := &LeadPolicyReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Changed: w.Policies, Wake: w.Router, Recorder: mgr.GetEventRecorder("leadpolicy-controller"),
		ExpressionErrors: exprErrors}
	if cfg.writeBack != nil {
		lpr.WriteBack = cfg.writeBack
		if err := mgr.Add(&writeBackNudger{Health: cfg.writeBack, Policies: w.Policies, Clock: clk, Interval: 30 * time.Second}); err != nil {
			return fmt.Errorf("adding the write-back status nudger: %w", err)
		}
	}
	if err := lpr.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the LeadPolicy controller: %w", err)
	}
	if err := (&TeamGoalReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Changed: w.Goals, Recorder: mgr.GetEventRecorder("teamgoal-controller")}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TeamGoal controller: %w", err)
	}
	if err := (&LeadExperimentReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: clk, Store: st,
		Wake: w.Router, Changed: w.Experiments, Recorder: mgr.GetEventRecorder("leadexperiment-controller")}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the LeadExperiment controller: %w", err)
	}
	// Breach notices go out from their own queue, so a slow webhook never holds up a routing pass.
	var notifier BreachNotifier
	if cfg.breachNotifier {
		n := webhook.New(webhook.Options{Log: ctrl.Log.WithName("breach-webhook")})
		if err := mgr.Add(n); err != nil {
			return fmt.Errorf("adding the breach webhook notifier: %w", err)
		}
		notifier = n
	}
	if err := (&RouterReconciler{Client: mgr.GetClient(), Store: st, Clock: clk,
		Recorder: mgr.GetEventRecorder("leadops-router"), Wake: w.Router, Wakeups: w,
		PolicyChanged: w.Policies, TeamChanged: w.Teams,
		Notifier: notifier, SecretReader: mgr.GetAPIReader(), ExpressionErrors: exprErrors}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the router: %w", err)
	}
	if err := mgr.Add(w); err != nil {
		return fmt.Errorf("adding the wake-ups: %w", err)
	}
	if err := mgr.Add(&storePinger{Store: st, Interval: 15 * time.Second}); err != nil {
		return fmt.Errorf("adding the store pinger: %w", err)
	}
	if err := mgr.Add(&dataQualityCollector{Store: st, Clock: clk, Interval: time.Minute}); err != nil {
		return fmt.Errorf("adding the data-quality collector: %w", err)
	}
	return nil
}

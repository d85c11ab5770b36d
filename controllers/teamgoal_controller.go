package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/policy"
)

// TeamGoalReconciler validates TeamGoals; the goals issue computes their progress from the store.
type TeamGoalReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Clock    clock.Clock
	Recorder events.EventRecorder
	// Store provides the goal's figures; nil leaves them unset.
	Store goalStore
	// Changed receives goals to recompute (store changes, debounced; clock jumps).
	Changed chan event.GenericEvent
}

// +kubebuilder:rbac:groups=leadops.io,resources=teamgoals,verbs=get;list;watch
// +kubebuilder:rbac:groups=leadops.io,resources=teamgoals/status,verbs=get;update;patch

// Reconcile is a thin shell: load, delegate to reconcile, patch status once.
func (r *TeamGoalReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileWithStatus(ctx, r.Client, req, &leadopsv1.TeamGoal{},
		func(g *leadopsv1.TeamGoal) { g.Status.ObservedGeneration = g.Generation }, r.reconcile)
}

func (r *TeamGoalReconciler) reconcile(ctx context.Context, goal *leadopsv1.TeamGoal) (ctrl.Result, error) {
	filter, specErr := policy.CompileExpression("spec.filter", goal.Spec.Filter)
	if specErr != nil {
		r.notReady(goal, specErr)
		return ctrl.Result{}, nil
	}
	name := goal.Spec.TeamRef.Name
	teams, specErr, err := checkTeams(ctx, r.Client, goal.Namespace, []string{name}, map[string]string{name: "spec.teamRef"})
	if err != nil {
		return ctrl.Result{}, err
	}
	if specErr != nil {
		r.notReady(goal, specErr)
		return ctrl.Result{}, nil
	}
	next, specErr, err := r.reconcileProgress(ctx, goal, teams[name], filter)
	if err != nil {
		return ctrl.Result{}, err
	}
	if specErr != nil {
		r.notReady(goal, specErr)
		return ctrl.Result{}, nil
	}
	setReady(&goal.Status.Conditions, goal.Generation, leadopsv1.ReasonReconciled, "goal is valid and its Team exists")
	// Exactly at the period's start and end, and at a steady interval while it runs.
	return requeueAt(next, r.Clock.Now()), nil
}

func (r *TeamGoalReconciler) notReady(goal *leadopsv1.TeamGoal, e *policy.SpecError) {
	markNotReady(r.Recorder, goal, &goal.Status.Conditions, e)
}

// SetupWithManager registers the reconciler and its watches. Call SetupIndexes first.
func (r *TeamGoalReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&leadopsv1.TeamGoal{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&leadopsv1.Team{},
			handler.EnqueueRequestsFromMapFunc(requestsForTeam(mgr.GetClient(), func() client.ObjectList { return &leadopsv1.TeamGoalList{} })),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Changed, &handler.EnqueueRequestForObject{})).
		Named("teamgoal").
		Complete(r)
}

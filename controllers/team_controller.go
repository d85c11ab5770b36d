package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
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
	"github.com/leadops/leadops/internal/roster"
)

// TeamReconciler keeps a Team's status true to its members' availability.
type TeamReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	Clock  clock.Clock
	// Store provides the open load, queue and flow; nil leaves them untouched.
	Store teamStatusStore
	// Changed receives the Teams whose load a routing pass changed.
	Changed chan event.GenericEvent
	// Wake wakes the router.
	Wake chan event.GenericEvent
}

// +kubebuilder:rbac:groups=leadops.io,resources=teams,verbs=get;list;watch
// +kubebuilder:rbac:groups=leadops.io,resources=teams/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile is a thin shell: load, delegate, patch status once.
func (r *TeamReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileWithStatus(ctx, r.Client, req, &leadopsv1.Team{},
		func(t *leadopsv1.Team) { t.Status.ObservedGeneration = t.Generation }, r.reconcile)
}

func (r *TeamReconciler) reconcile(ctx context.Context, team *leadopsv1.Team) (ctrl.Result, error) {
	st := &team.Status
	view, specErr := policy.ParseTeam(&team.Spec)
	if specErr != nil {
		setNotReady(&st.Conditions, team.Generation, specErr.Reason, specErr.Error())
		// Nothing changes until the spec does; the update event requeues us.
		return ctrl.Result{}, nil
	}

	now := r.Clock.Now()
	sum := roster.Summarize(view.Members, now)
	if sum.Available != st.AvailableMembers || sum.Capacity != st.Capacity {
		// Someone came back or left: queued leads may now have a member with room.
		wake(r.Wake)
	}
	st.Members, st.AvailableMembers, st.Capacity = sum.Members, sum.Available, sum.Capacity
	if err := r.reconcileLoad(ctx, team); err != nil {
		return ctrl.Result{}, err
	}
	setReady(&st.Conditions, team.Generation, leadopsv1.ReasonReconciled,
		fmt.Sprintf("%d of %d members available", sum.Available, sum.Members))

	// Wake exactly when someone goes out of or comes back from the office.
	return requeueAt(sum.NextChange, now), nil
}

// SetupWithManager registers the reconciler.
func (r *TeamReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&leadopsv1.Team{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Changed, &handler.EnqueueRequestForObject{})).
		Named("team").
		Complete(r)
}

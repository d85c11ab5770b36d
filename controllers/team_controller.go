package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/roster"
)

// TeamReconciler keeps a Team's status true to its members' availability.
type TeamReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	Clock  clock.Clock
	// Store provides the open load and queue; nil leaves them untouched.
	Store LeadStore
	// Changed receives the Teams whose load a routing pass changed.
	Changed chan event.GenericEvent
}

// +kubebuilder:rbac:groups=leadops.io,resources=teams,verbs=get;list;watch
// +kubebuilder:rbac:groups=leadops.io,resources=teams/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile is a thin shell: load, delegate, patch status once.
func (r *TeamReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	team := &leadopsv1.Team{}
	if err := r.Get(ctx, req.NamespacedName, team); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := team.DeepCopy()
	defer func() {
		team.Status.ObservedGeneration = team.Generation
		if err := r.Status().Patch(ctx, team, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
			retErr = kerrors.NewAggregate([]error{retErr, fmt.Errorf("patching Team status: %w", err)})
		}
	}()
	return r.reconcile(ctx, team)
}

func (r *TeamReconciler) reconcile(ctx context.Context, team *leadopsv1.Team) (ctrl.Result, error) {
	st := &team.Status
	view, specErr := parseTeam(&team.Spec)
	if specErr != nil {
		setNotReady(&st.Conditions, team.Generation, specErr.Reason, specErr.Message)
		// Nothing changes until the spec does; the update event requeues us.
		return ctrl.Result{}, nil
	}

	now := r.Clock.Now()
	sum := roster.Summarize(view.Members, now)
	st.Members, st.AvailableMembers, st.Capacity = sum.Members, sum.Available, sum.Capacity
	if err := r.reconcileLoad(ctx, team); err != nil {
		return ctrl.Result{}, err
	}
	setReady(&st.Conditions, team.Generation, leadopsv1.ReasonReconciled,
		fmt.Sprintf("%d of %d members available", sum.Available, sum.Members))

	if sum.NextChange.IsZero() {
		return ctrl.Result{}, nil
	}
	// Wake exactly when someone goes out of or comes back from the office.
	return ctrl.Result{RequeueAfter: sum.NextChange.Sub(now)}, nil
}

// SetupWithManager registers the reconciler.
func (r *TeamReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&leadopsv1.Team{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Changed, &handler.EnqueueRequestForObject{})).
		Named("team").
		Complete(r)
}

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
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/roster"
)

// TeamReconciler keeps a Team's status true to its members' availability.
type TeamReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	Clock  clock.Clock
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
	return r.reconcile(team)
}

func (r *TeamReconciler) reconcile(team *leadopsv1.Team) (ctrl.Result, error) {
	st := &team.Status
	_, members, specErr := teamRoster(&team.Spec)
	if specErr != nil {
		setNotReady(&st.Conditions, team.Generation, specErr.Reason, specErr.Message)
		// Nothing changes until the spec does; the update event requeues us.
		return ctrl.Result{}, nil
	}

	now := r.Clock.Now()
	sum := roster.Summarize(members, now)
	st.Members, st.AvailableMembers, st.Capacity = sum.Members, sum.Available, sum.Capacity
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
		Named("team").
		Complete(r)
}

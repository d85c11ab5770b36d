package controllers

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	lpolicy "github.com/leadops/leadops/internal/policy"
)

// LeadPolicyReconciler validates LeadPolicies; later phases route leads and enforce SLAs with them.
type LeadPolicyReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Clock    clock.Clock
	Recorder events.EventRecorder
	// Store provides the counters and SLA figures behind the status; nil leaves them untouched.
	Store policyStatusStore
	// Changed receives the policies whose counters a routing pass changed.
	Changed chan event.GenericEvent
	// Wake wakes the router.
	Wake chan event.GenericEvent
	// ExpressionErrors is where the router records expressions that failed on leads.
	ExpressionErrors *expressionErrors
	// WriteBack is where the CRM write-back workers report (CRMWriteBack); nil without write-back.
	WriteBack writeBackHealth
}

func (r *LeadPolicyReconciler) wakeRouter() { wake(r.Wake) }

// +kubebuilder:rbac:groups=leadops.io,resources=leadpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=leadops.io,resources=leadpolicies/status,verbs=get;update;patch

// Reconcile is a thin shell: load, delegate to reconcile, patch status once.
func (r *LeadPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileWithStatus(ctx, r.Client, req, &leadopsv1.LeadPolicy{},
		func(p *leadopsv1.LeadPolicy) { p.Status.ObservedGeneration = p.Generation }, r.reconcile)
}

func (r *LeadPolicyReconciler) reconcile(ctx context.Context, policy *leadopsv1.LeadPolicy) (ctrl.Result, error) {
	if _, specErr := lpolicy.Compile(policy); specErr != nil {
		r.notReady(policy, specErr)
		return ctrl.Result{}, nil
	}
	paths := map[string]string{}
	for i := len(policy.Spec.Rules) - 1; i >= 0; i-- {
		paths[policy.Spec.Rules[i].TeamRef.Name] = fmt.Sprintf("spec.rules[%d].teamRef", i)
	}
	_, specErr, err := checkTeams(ctx, r.Client, policy.Namespace, lpolicy.ReferencedTeams(policy), paths)
	if err != nil {
		return ctrl.Result{}, err
	}
	if specErr != nil {
		// The Team watch requeues this policy the moment the Team appears.
		r.notReady(policy, specErr)
		return ctrl.Result{}, nil
	}
	if err := r.reconcileCounters(ctx, policy); err != nil {
		return ctrl.Result{}, err
	}
	next, err := r.reconcileSLA(ctx, policy)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileDataQuality(ctx, policy); err != nil {
		return ctrl.Result{}, err
	}
	r.reconcileWriteBack(policy)
	// Breached or not, a policy the controller can apply is Ready: a breach is the business's
	// problem, reported by SLABreached. An expression that fails on leads is the policy's problem.
	if r.reconcileExpressionErrors(policy) {
		setReady(&policy.Status.Conditions, policy.Generation, leadopsv1.ReasonReconciled,
			fmt.Sprintf("%d routing rules compiled; every referenced Team exists", len(policy.Spec.Rules)))
	}
	if policy.Status.Breached > 0 {
		// Let the router record and escalate the breach now, not at its next wake-up.
		r.wakeRouter()
	}
	// Wake exactly at the next warning time or deadline.
	return requeueAt(next, r.Clock.Now()), nil
}

// reconcileExpressionErrors sets ExpressionErrors from what the router met under this generation and
// reports whether the policy can be evaluated reliably (else Ready is False with the same message).
func (r *LeadPolicyReconciler) reconcileExpressionErrors(policy *leadopsv1.LeadPolicy) bool {
	conds, gen := &policy.Status.Conditions, policy.Generation
	st, failed := r.ExpressionErrors.get(policy.Namespace+"/"+policy.Name, gen)
	if !failed {
		setCondition(conds, gen, leadopsv1.ConditionExpressionErrors, metav1.ConditionFalse, leadopsv1.ReasonNoErrors,
			"no expression of this generation has failed on a lead")
		return true
	}
	msg := st.message()
	setCondition(conds, gen, leadopsv1.ConditionExpressionErrors, metav1.ConditionTrue, leadopsv1.ReasonEvaluationFailed, msg)
	setNotReady(conds, gen, leadopsv1.ReasonExpressionErrors, msg)
	return false
}

func (r *LeadPolicyReconciler) notReady(policy *leadopsv1.LeadPolicy, e *lpolicy.SpecError) {
	markNotReady(r.Recorder, policy, &policy.Status.Conditions, e)
}

// SetupWithManager registers the reconciler and its watches. Call SetupIndexes first.
func (r *LeadPolicyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&leadopsv1.LeadPolicy{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&leadopsv1.Team{},
			handler.EnqueueRequestsFromMapFunc(requestsForTeam(mgr.GetClient(), func() client.ObjectList { return &leadopsv1.LeadPolicyList{} })),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Changed, &handler.EnqueueRequestForObject{})).
		Named("leadpolicy").
		Complete(r)
}

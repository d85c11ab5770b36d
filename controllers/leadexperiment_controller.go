package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/policy"
)

// DefaultExperimentInterval is how often a running experiment's figures are computed again from
// the store between its switches and its end; an ended one is computed again every 12 intervals, as
// outcomes (accepts, wins) of its leads keep arriving.
const DefaultExperimentInterval = 5 * time.Minute

// LeadExperimentReconciler validates LeadExperiments, tracks their phase and Alternate arm, and
// evaluates them from the lead store into status, conditions, an Event when they conclude and
// metrics per arm. The router assigns the arms (router_controller.go reads the Ready experiments).
type LeadExperimentReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Clock    clock.Clock
	Recorder events.EventRecorder
	// Store provides the experiment's leads; nil leaves the figures unset.
	Store experimentStore
	// Wake, when set, starts a routing pass when an experiment's validity or phase changes.
	Wake chan event.GenericEvent
	// Changed receives experiments to evaluate again (clock jumps).
	Changed chan event.GenericEvent
	// Interval bounds the time between evaluations (DefaultExperimentInterval when zero).
	Interval time.Duration
}

// +kubebuilder:rbac:groups=leadops.io,resources=leadexperiments,verbs=get;list;watch
// +kubebuilder:rbac:groups=leadops.io,resources=leadexperiments/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile is a thin shell: load, delegate to reconcile, patch status once.
func (r *LeadExperimentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileWithStatus(ctx, r.Client, req, &leadopsv1.LeadExperiment{},
		func(x *leadopsv1.LeadExperiment) { x.Status.ObservedGeneration = x.Generation }, r.reconcile)
}

func (r *LeadExperimentReconciler) reconcile(ctx context.Context, x *leadopsv1.LeadExperiment) (ctrl.Result, error) {
	before := experimentRouting(x)
	defer func() {
		if experimentRouting(x) != before {
			wake(r.Wake)
		}
	}()
	w, others, err := loadExperimentWorld(ctx, r.Client, x.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	e, specErr := resolveExperiment(x, w)
	if specErr == nil {
		if o := overlapping(x, e, others, w); o != nil {
			specErr = policy.FieldSpecError(leadopsv1.ReasonOverlapping, "spec.arms",
				"LeadExperiment %q, created earlier, runs over a LeadPolicy of this experiment in an overlapping window: a lead can be in one experiment only; end it first or move this one's start after its end", o.Name)
		}
	}
	if specErr != nil {
		markNotReady(r.Recorder, x, &x.Status.Conditions, specErr)
		x.Status.Phase, x.Status.ActiveArm = "", ""
		return ctrl.Result{}, nil
	}
	now := r.Clock.Now()
	x.Status.Phase = e.phaseAt(now)
	x.Status.ActiveArm = ""
	if x.Status.Phase == phaseRunning && e.Strategy == "Alternate" && !e.Observational {
		x.Status.ActiveArm = e.Arms[experiment.AlternateArm(now, e.Start, e.Period, e.Location, len(e.Arms))].Name
	}
	setReady(&x.Status.Conditions, x.Generation, leadopsv1.ReasonReconciled, readyMessage(e))
	if x.Status.Phase == phasePending {
		setCondition(&x.Status.Conditions, x.Generation, leadopsv1.ConditionConcluded, "False", leadopsv1.ReasonPending,
			"the experiment starts "+e.Start.Format(time.RFC3339)+"; it takes no leads in before")
		return requeueAt(e.Start, now), nil
	}
	if r.Store != nil {
		if err := r.evaluate(ctx, x, e, now); err != nil {
			return ctrl.Result{}, err
		}
	}
	return requeueAt(r.next(e, now), now), nil
}

// next is when time alone next changes the experiment: its end, its next Alternate switch, or the
// next evaluation, whichever comes first.
func (r *LeadExperimentReconciler) next(e *resolvedExperiment, now time.Time) time.Time {
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultExperimentInterval
	}
	if e.phaseAt(now) == phaseEnded {
		// Outcomes of its leads (accepts, wins) still arrive, ever more rarely.
		interval *= 12
	}
	next := now.Add(interval)
	if !e.End.IsZero() && e.End.After(now) && e.End.Before(next) {
		next = e.End
	}
	if e.Strategy == "Alternate" && !e.Observational && e.phaseAt(now) == phaseRunning {
		if s := experiment.NextSwitch(now, e.Start, e.Period, e.Location); !s.IsZero() && s.Before(next) {
			next = s
		}
	}
	return next
}

func readyMessage(e *resolvedExperiment) string {
	if e.Observational {
		return fmt.Sprintf("observational experiment over %d arms is valid", len(e.Arms))
	}
	return fmt.Sprintf("%s experiment over %d policy arms is valid; the arms' policies share one selector", e.Strategy, len(e.Arms))
}

// experimentRouting is what the router reads of an experiment: whether it is Ready at its
// generation, and its phase.
func experimentRouting(x *leadopsv1.LeadExperiment) string {
	c := meta.FindStatusCondition(x.Status.Conditions, leadopsv1.ConditionReady)
	if c == nil {
		return x.Status.Phase
	}
	return fmt.Sprintf("%s/%d/%s", c.Status, c.ObservedGeneration, x.Status.Phase)
}

// loadExperimentWorld lists the namespace's LeadPolicies, Teams and LeadExperiments.
func loadExperimentWorld(ctx context.Context, c client.Reader, namespace string) (experimentWorld, []leadopsv1.LeadExperiment, error) {
	w := experimentWorld{Policies: map[string]*leadopsv1.LeadPolicy{}, Teams: map[string]*leadopsv1.Team{}}
	ps := &leadopsv1.LeadPolicyList{}
	if err := c.List(ctx, ps, client.InNamespace(namespace)); err != nil {
		return w, nil, fmt.Errorf("listing LeadPolicies: %w", err)
	}
	for i := range ps.Items {
		w.Policies[ps.Items[i].Name] = &ps.Items[i]
	}
	ts := &leadopsv1.TeamList{}
	if err := c.List(ctx, ts, client.InNamespace(namespace)); err != nil {
		return w, nil, fmt.Errorf("listing Teams: %w", err)
	}
	for i := range ts.Items {
		w.Teams[ts.Items[i].Name] = &ts.Items[i]
	}
	xs := &leadopsv1.LeadExperimentList{}
	if err := c.List(ctx, xs, client.InNamespace(namespace)); err != nil {
		return w, nil, fmt.Errorf("listing LeadExperiments: %w", err)
	}
	return w, xs.Items, nil
}

// announceConcluded emits the one Event of an experiment's conclusion.
func (r *LeadExperimentReconciler) announceConcluded(x *leadopsv1.LeadExperiment, reason, message string) {
	if r.Recorder == nil {
		return
	}
	typ := corev1.EventTypeNormal
	r.Recorder.Eventf(x, nil, typ, reason, "Conclude", "%s", message)
}

// SetupWithManager registers the reconciler. Any LeadPolicy or Team change in a namespace enqueues
// its experiments (a policy may appear, or change its selector).
func (r *LeadExperimentReconciler) SetupWithManager(mgr ctrl.Manager) error {
	inNamespace := func(ctx context.Context, obj client.Object) []reconcile.Request {
		list := &leadopsv1.LeadExperimentList{}
		if err := mgr.GetClient().List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
			return nil
		}
		out := make([]reconcile.Request, len(list.Items))
		for i := range list.Items {
			out[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
		}
		return out
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&leadopsv1.LeadExperiment{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&leadopsv1.LeadPolicy{}, handler.EnqueueRequestsFromMapFunc(inNamespace),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&leadopsv1.Team{}, handler.EnqueueRequestsFromMapFunc(inNamespace),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Changed, &handler.EnqueueRequestForObject{})).
		Named("leadexperiment").
		Complete(r)
}

package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/sla"
	"github.com/leadops/leadops/internal/store"
)

// LeadStore is the lead store as the controllers are wired with it: the one backend contract.
type LeadStore = store.Backend

// Actor is the audit actor of every decision the controller makes.
const Actor = router.Actor

// RouterReconciler is the glue between Kubernetes and internal/router: it lists and compiles the
// LeadPolicies and Teams into the router's Input, runs a pass, and turns the pass's Report into
// metrics, Events, status refreshes and breach webhooks. Which policy governs a lead depends on every
// policy's selector and priority, so routing is one pass over all policies rather than a per-policy
// reconcile; it runs on the leader and wakes on store notifications, policy and team changes.
type RouterReconciler struct {
	client.Client
	Store    router.Store
	Clock    clock.Clock
	Recorder events.EventRecorder
	// BatchSize and PassBudget tune the router (see router.Router).
	BatchSize  int
	PassBudget time.Duration
	// Wakeups throttles the status nudges the router sends.
	Wakeups *wakeups
	// Wake receives a GenericEvent whenever the router should run a pass (see wakeups).
	Wake chan event.GenericEvent
	// PolicyChanged and TeamChanged receive the objects whose status a pass changed.
	PolicyChanged chan event.GenericEvent
	TeamChanged   chan event.GenericEvent
	// Notifier, when set, receives a notice of every breach of a policy with a webhook Secret, read
	// through SecretReader (uncached; the client when nil). See breach_webhook.go.
	Notifier     BreachNotifier
	SecretReader client.Reader
	// ExpressionErrors receives every expression that fails on a lead, for the LeadPolicy status.
	ExpressionErrors *expressionErrors
	// Events sums the per-pass counts of a policy into one Event per interval.
	Events *eventAggregator

	compiled map[types.NamespacedName]*policy.Compiled
	engine   *router.Router
}

// +kubebuilder:rbac:groups=leadops.io,resources=leadpolicies;teams;leadexperiments,verbs=get;list;watch

// Reconcile runs one routing pass.
func (r *RouterReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	in, specs, err := r.input(ctx)
	if err != nil {
		return retryOnOutage(ctx, ctrl.Result{}, err)
	}
	report, err := r.engine.Run(ctx, in)
	if report != nil {
		r.publish(ctx, in.Now, specs, report)
		if report.Truncated {
			// The rest of the queue goes to the next pass, which starts as soon as this one ends.
			wake(r.Wake)
		}
	}
	return retryOnOutage(ctx, ctrl.Result{}, err)
}

// input lists the LeadPolicies and Teams and compiles them (policies cached per generation) into the
// router's input; invalid objects are left out, their own reconcilers report why.
func (r *RouterReconciler) input(ctx context.Context) (router.Input, map[string]*leadopsv1.LeadPolicy, error) {
	in := router.Input{Now: r.Clock.Now(), Teams: map[router.TeamKey]*router.Team{}}
	list := &leadopsv1.LeadPolicyList{}
	if err := r.List(ctx, list); err != nil {
		return in, nil, fmt.Errorf("listing LeadPolicies: %w", err)
	}
	specs := make(map[string]*leadopsv1.LeadPolicy, len(list.Items))
	seen := map[types.NamespacedName]bool{}
	for i := range list.Items {
		p := &list.Items[i]
		key := client.ObjectKeyFromObject(p)
		seen[key] = true
		cp := r.compiled[key]
		if cp == nil || cp.Generation != p.Generation {
			var specErr *policy.SpecError
			if cp, specErr = policy.Compile(p); specErr != nil {
				delete(r.compiled, key)
				continue
			}
			r.compiled[key] = cp
		}
		in.Policies = append(in.Policies, cp.RouterPolicy(p))
		specs[key.String()] = p
	}
	for k := range r.compiled {
		if !seen[k] {
			delete(r.compiled, k)
		}
	}
	teams := &leadopsv1.TeamList{}
	if err := r.List(ctx, teams); err != nil {
		return in, nil, fmt.Errorf("listing Teams: %w", err)
	}
	for i := range teams.Items {
		t := &teams.Items[i]
		view, specErr := policy.ParseTeam(&t.Spec)
		if specErr != nil {
			continue
		}
		in.Teams[router.TeamKey{Namespace: t.Namespace, Name: t.Name}] = view.Snapshot(in.Now)
	}
	if err := r.experiments(ctx, &in, list.Items, teams.Items); err != nil {
		return in, nil, err
	}
	return in, specs, nil
}

// experiments adds the running policy-arm LeadExperiments the experiment reconciler found valid
// (Ready=True for their current generation) to the input, over the compiled policies.
func (r *RouterReconciler) experiments(ctx context.Context, in *router.Input, policies []leadopsv1.LeadPolicy, teams []leadopsv1.Team) error {
	xs := &leadopsv1.LeadExperimentList{}
	if err := r.List(ctx, xs); err != nil {
		return fmt.Errorf("listing LeadExperiments: %w", err)
	}
	if len(xs.Items) == 0 {
		return nil
	}
	byKey := make(map[string]*router.Policy, len(in.Policies))
	for _, p := range in.Policies {
		byKey[p.Key()] = p
	}
	worlds := map[string]experimentWorld{}
	world := func(ns string) experimentWorld {
		w, ok := worlds[ns]
		if !ok {
			w = experimentWorld{Policies: map[string]*leadopsv1.LeadPolicy{}, Teams: map[string]*leadopsv1.Team{}}
			for i := range policies {
				if policies[i].Namespace == ns {
					w.Policies[policies[i].Name] = &policies[i]
				}
			}
			for i := range teams {
				if teams[i].Namespace == ns {
					w.Teams[teams[i].Name] = &teams[i]
				}
			}
			worlds[ns] = w
		}
		return w
	}
	for i := range xs.Items {
		x := &xs.Items[i]
		ready := meta.FindStatusCondition(x.Status.Conditions, leadopsv1.ConditionReady)
		if ready == nil || ready.Status != metav1.ConditionTrue || ready.ObservedGeneration != x.Generation {
			continue
		}
		e, specErr := resolveExperiment(x, world(x.Namespace))
		if specErr != nil || e.phaseAt(in.Now) != phaseRunning {
			continue
		}
		if rx := e.routerExperiment(x.Namespace, x.Name, byKey); rx != nil {
			in.Experiments = append(in.Experiments, rx)
		}
	}
	return nil
}

// publish turns a pass's report into metrics, Events, status refreshes and breach webhooks.
func (r *RouterReconciler) publish(ctx context.Context, now time.Time, specs map[string]*leadopsv1.LeadPolicy, rep *router.Report) {
	log := ctrl.LoggerFrom(ctx)
	if !rep.Truncated {
		unmatchedLeads.Set(float64(rep.Unmatched))
	}
	routingOutcomesTotal.WithLabelValues(string(routing.Unmatched), "").Add(float64(rep.UnmatchedNew))
	if rep.Conflicts > 0 {
		log.V(1).Info("routing decisions skipped on concurrent change", "count", rep.Conflicts)
	}
	for _, p := range rep.Problems {
		log.Info("lead not routed: the lifecycle refused the decision", "problem", p)
	}
	r.publishExpressionErrors(ctx, now, rep.ExpressionErrors)

	tallies := map[string]*batchTally{}
	teams := map[router.TeamKey]bool{}
	for _, d := range rep.Decisions {
		routingOutcomesTotal.WithLabelValues(string(d.Outcome), d.Policy).Inc()
		if d.Outcome == routing.Routed {
			routedTotal.WithLabelValues(d.Policy, d.Rule, d.Team.String()).Inc()
			routingLatency.Observe(d.Waited.Seconds())
		}
		t := tallies[d.Policy]
		if t == nil {
			t = &batchTally{}
			tallies[d.Policy] = t
		}
		t.add(d.Outcome)
		if d.Rule != "" {
			teams[d.Team] = true
		}
	}
	for key, t := range tallies {
		r.announce(key, t)
	}

	breaches := map[string]*breachTally{}
	for _, b := range rep.Breaches {
		t := breaches[b.Policy]
		if t == nil {
			t = &breachTally{}
			breaches[b.Policy] = t
		}
		for _, s := range b.SLAs {
			slaBreachesTotal.WithLabelValues(b.Policy, string(s.Kind)).Inc()
			t.count(s.Kind)
		}
		switch b.Action {
		case router.ActionReassigned:
			t.reassigned++
		case router.ActionEscalated:
			t.escalated++
		}
	}
	for key, t := range breaches {
		r.announceBreaches(key, t)
	}
	r.notifyBreachWebhooks(ctx, specs, rep.Breaches, now)
	for k := range teams {
		r.nudge(r.TeamChanged, &leadopsv1.Team{}, types.NamespacedName{Namespace: k.Namespace, Name: k.Name})
	}
}

// batchTally counts one pass's outcomes for one policy; the Event aggregator sums passes.
type batchTally struct {
	routed, queued, disqual, unrouted int64
}

func (t *batchTally) add(o routing.Outcome) {
	switch o {
	case routing.Routed:
		t.routed++
	case routing.Queued:
		t.queued++
	case routing.Disqualified:
		t.disqual++
	case routing.NoRule:
		t.unrouted++
	}
}

// Event notes' count labels, in the order they are listed.
const (
	noteRouted       = "routed"
	noteQueued       = "queued"
	noteDisqualified = "disqualified"
	noteNoRule       = "matched no rule"
)

func policyName(key string) types.NamespacedName {
	ns, name, _ := strings.Cut(key, "/")
	return types.NamespacedName{Namespace: ns, Name: name}
}

func (r *RouterReconciler) announce(key string, t *batchTally) {
	policy := policyName(key)
	r.Events.add(policy, "Routed", corev1.EventTypeNormal, "Route", map[string]int64{
		noteRouted: t.routed, noteQueued: t.queued, noteDisqualified: t.disqual, noteNoRule: t.unrouted,
	}, "", func(c map[string]int64, _ string, window time.Duration) string {
		return "Leads" + overWindow(window) + ": " + countsNote(c, noteRouted, noteQueued, noteDisqualified, noteNoRule)
	})
	r.nudge(r.PolicyChanged, &leadopsv1.LeadPolicy{}, policy)
}

// publishExpressionErrors counts each failed expression under the policy and field whose expression
// failed, records it for the policy's ExpressionErrors condition, and raises one Warning Event and one
// log line per policy.
func (r *RouterReconciler) publishExpressionErrors(ctx context.Context, now time.Time, errs []router.ExpressionError) {
	byPolicy := map[string][]router.ExpressionError{}
	for _, e := range errs {
		expressionErrorsTotal.WithLabelValues(e.Policy, e.Field).Inc()
		r.ExpressionErrors.record(e.EvalError, e.Generation, e.LeadID, now)
		byPolicy[e.Policy] = append(byPolicy[e.Policy], e)
	}
	for key, errs := range byPolicy {
		policy := policyName(key)
		last := errs[len(errs)-1]
		ctrl.LoggerFrom(ctx).Info("LeadPolicy expression failed on leads; they moved on to the next policy or rule",
			"policy", key, "field", last.Path(), "count", len(errs), "error", last.Err)
		r.Events.add(policy, "ExpressionError", corev1.EventTypeWarning, "Route", map[string]int64{"": int64(len(errs))},
			last.Path()+": "+last.Err, func(c map[string]int64, extra string, window time.Duration) string {
				return fmt.Sprintf("%s failed on leads%s (they moved on to the next policy or rule); last: %s",
					sla.Plural(c[""], "expression evaluation"), overWindow(window), extra)
			})
		r.nudge(r.PolicyChanged, &leadopsv1.LeadPolicy{}, policy)
	}
}

func (r *RouterReconciler) nudge(ch chan event.GenericEvent, obj client.Object, key types.NamespacedName) {
	if ch == nil {
		return
	}
	obj.SetNamespace(key.Namespace)
	obj.SetName(key.Name)
	r.Wakeups.nudge(ch, obj)
}

// SetupWithManager registers the router.
func (r *RouterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.compiled = map[types.NamespacedName]*policy.Compiled{}
	r.engine = &router.Router{Store: r.Store, BatchSize: r.BatchSize, PassBudget: r.PassBudget}
	if r.ExpressionErrors == nil {
		r.ExpressionErrors = newExpressionErrors()
	}
	if r.Events == nil {
		r.Events = &eventAggregator{Client: mgr.GetClient(), Recorder: r.Recorder}
	}
	if r.Wake == nil {
		r.Wake = make(chan event.GenericEvent, 1)
	}
	single := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(routerObject)}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("router").
		WithOptions(controller.Options{MaxConcurrentReconciles: 1}).
		WatchesRawSource(source.Channel(r.Wake, single)).
		// Spec changes only: the router's own status updates must not wake it again. A member coming
		// back from out-of-office changes no generation; the Team reconciler wakes the router then.
		Watches(&leadopsv1.LeadPolicy{}, single, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&leadopsv1.Team{}, single, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// An experiment's validity and phase live in its status: the experiment reconciler wakes the
		// router through Wake when they change.
		Complete(r)
}

package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/slaclock"
	"github.com/leadops/leadops/internal/store"
)

// LeadStore is the lead store as the controllers use it.
type LeadStore interface {
	store.Store
	store.Router
	store.SLA
	store.Goals
}

// Actor is the audit actor of every decision the controller makes.
const Actor = "controller"

// RouterReconciler routes pending leads. Which policy governs a lead depends on every policy's
// selector and priority, so routing is one pass over all policies rather than a per-policy reconcile;
// the pass runs on the leader, wakes on store notifications, policy and team changes, and hands the
// per-policy and per-team status work to their own reconcilers.
type RouterReconciler struct {
	client.Client
	Store    LeadStore
	Clock    clock.Clock
	Recorder events.EventRecorder
	// BatchSize bounds one pass; a full batch requeues at once for the next.
	BatchSize int
	// Wake receives a GenericEvent whenever the store changes.
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
	// PassBudget bounds the real time one pass spends deciding leads; the rest of the queue waits for
	// the next pass, which starts at once, so SLA enforcement and status never wait behind a long
	// stretch of expensive expressions.
	PassBudget time.Duration

	compiled map[types.NamespacedName]*compiledPolicy
	matches  map[string]*matchMemo
	passes   uint64
	states   map[string]*routing.RuleState // policy key + "\x00" + rule
}

// matchMemo keeps a pending lead's match (governing policy, gate, rule results) while neither the
// lead nor the set of policies changes, so a waiting lead is decided again without evaluating any
// expression, and an expression that failed on it is not evaluated again until something changes.
type matchMemo struct {
	version  int64
	policies string
	match    *routing.Match
	// reported counts the match's errors already recorded: Assign may evaluate more rules later.
	reported int
	// pass is the last pass that saw the lead, for forgetting leads that left the queue.
	pass uint64
}

// defaultPassBudget is PassBudget's default.
const defaultPassBudget = 2 * time.Second

// +kubebuilder:rbac:groups=leadops.io,resources=leadpolicies;teams,verbs=get;list;watch

// Reconcile runs one routing pass.
func (r *RouterReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	policies, specs, fingerprint, err := r.loadPolicies(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	world, err := r.loadWorld(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	now := r.Clock.Now()
	r.passes++
	p := &pass{world: world, specs: specs, now: now, policies: policies, fingerprint: fingerprint,
		tally: map[string]*batchTally{}, touchedTeams: map[types.NamespacedName]bool{}, failed: map[string][]routing.EvalError{},
		seq: r.passes, started: time.Now()}
	// Walk the whole pending queue page by page, so new leads are reached behind a long queue of
	// leads that wait for room or that no policy selects.
	// A page's commit runs while the next page is read and decided (router_pipeline.go).
	var cursor store.PendingCursor
	var inflight *pageCommit
	for {
		pending, err := r.Store.PendingLeads(ctx, cursor, r.BatchSize)
		if err != nil {
			err = fmt.Errorf("listing leads awaiting routing: %w", err)
		}
		var page *pageDecisions
		if err == nil && len(pending) > 0 {
			page, err = r.decidePage(p, pending)
		}
		if err := r.settle(ctx, p, inflight, err); err != nil {
			return ctrl.Result{}, err
		}
		inflight = r.commitPage(ctx, page)
		if len(pending) < r.BatchSize || p.overBudget {
			break
		}
		cursor = store.After(pending[len(pending)-1])
	}
	if err := r.settle(ctx, p, inflight, nil); err != nil {
		return ctrl.Result{}, err
	}
	if p.overBudget {
		// The rest of the queue goes to the next pass, which starts as soon as this one ends.
		wake(r.Wake)
	} else {
		unmatchedLeads.Set(float64(p.unmatched))
		r.forgetLeftLeads(p.seq)
	}
	for _, t := range p.tally {
		r.announce(t)
	}
	r.announceExpressionErrors(ctx, p)
	if err := r.enforceSLAs(ctx, p); err != nil {
		return ctrl.Result{}, err
	}
	for k := range p.touchedTeams {
		r.notify(r.TeamChanged, &leadopsv1.Team{}, k)
	}
	return ctrl.Result{}, nil
}

// decidePage decides one page of pending leads; commitPage writes the decisions in one transaction.
// It stops early, with p.overBudget set, when the pass has used its time budget.
func (r *RouterReconciler) decidePage(p *pass, pending []*lead.Lead) (*pageDecisions, error) {
	var changes []store.Decision
	var outcomes []routing.Decision
	world := p.world
	world.prefetchAccounts(p.policies, p.fingerprint, pending)
	budget := r.PassBudget
	if budget <= 0 {
		budget = defaultPassBudget
	}
	for i, l := range pending {
		if i > 0 && time.Since(p.started) > budget {
			p.overBudget = true
			break
		}
		memo, fresh := r.matchOf(p, l)
		if memo.match.Policy == nil {
			p.unmatched++
			if fresh {
				routingOutcomesTotal.WithLabelValues(string(routing.Unmatched), "").Inc()
			}
			r.recordExpressionErrors(p, l, memo)
			continue
		}
		d := routing.Assign(memo.match, world, nil)
		r.recordExpressionErrors(p, l, memo)
		if world.err != nil {
			return nil, fmt.Errorf("reading routing state from the lead store: %w", world.err)
		}
		change, ok := p.decisionChange(l, d)
		if !ok {
			continue
		}
		if d.Outcome == routing.Routed {
			// Later leads of this pass must see this assignment: load and turn move on now.
			world.assigned(d.Pick.Member)
			st := d.Pick.State
			r.states[d.Policy.Key()+"\x00"+d.Rule.Name] = &st
		}
		changes = append(changes, change)
		outcomes = append(outcomes, d)
	}
	return &pageDecisions{changes: changes, outcomes: outcomes}, nil
}

// matchOf returns the lead's match, from the memo while neither the lead nor the policies changed.
func (r *RouterReconciler) matchOf(p *pass, l *lead.Lead) (memo *matchMemo, fresh bool) {
	memo = r.matches[l.ID]
	if memo == nil || memo.version != l.Version || memo.policies != p.fingerprint {
		memo = &matchMemo{version: l.Version, policies: p.fingerprint, match: routing.MatchLead(p.policies, celenv.FromLead(l))}
		r.matches[l.ID] = memo
		fresh = true
	}
	memo.pass = p.seq
	return memo, fresh
}

// recordExpressionErrors counts the errors the lead's match met since they were last recorded, under
// the policy and field whose expression failed.
func (r *RouterReconciler) recordExpressionErrors(p *pass, l *lead.Lead, memo *matchMemo) {
	for _, e := range memo.match.Errors[memo.reported:] {
		expressionErrorsTotal.WithLabelValues(e.Policy, e.Field).Inc()
		gen := int64(0)
		if spec := p.specs[e.Policy]; spec != nil {
			gen = spec.Generation
		}
		r.ExpressionErrors.record(e, gen, l.ID, p.now)
		p.failed[e.Policy] = append(p.failed[e.Policy], e)
	}
	memo.reported = len(memo.match.Errors)
}

// forgetLeftLeads drops the memo of leads a complete pass no longer found pending.
func (r *RouterReconciler) forgetLeftLeads(seq uint64) {
	for id, m := range r.matches {
		if m.pass != seq {
			delete(r.matches, id)
		}
	}
}

// finishPage takes in the outcome of a page's commit: metrics, tallies, and the turn state to forget
// when the commit failed or met concurrent changes.
func (r *RouterReconciler) finishPage(ctx context.Context, p *pass, c *pageCommit) error {
	changes, outcomes, applied, conflicts, err := c.changes, c.outcomes, c.applied, c.conflicts, c.err
	if err != nil {
		// Nothing of this page was written; forget the optimistic turn state and retry.
		r.states = map[string]*routing.RuleState{}
		return fmt.Errorf("committing %d routing decisions: %w", len(changes), err)
	}
	if len(conflicts) > 0 {
		// Another replica or writer changed those leads first; the next pass re-reads them. The
		// remembered turn may have moved for a lead that did not commit, so reload it from history.
		r.states = map[string]*routing.RuleState{}
		ctrl.LoggerFrom(ctx).V(1).Info("routing decisions skipped on concurrent change", "count", len(conflicts))
	}
	ok := make(map[string]bool, len(applied))
	for _, l := range applied {
		ok[l.ID] = true
	}
	for i, d := range outcomes {
		l := changes[i].Lead
		if !ok[l.ID] {
			continue
		}
		key := d.Policy.Key()
		routingOutcomesTotal.WithLabelValues(string(d.Outcome), key).Inc()
		if d.Outcome == routing.Routed {
			routedTotal.WithLabelValues(key, d.Rule.Name, l.Team).Inc()
			routingLatency.Observe(p.now.Sub(l.UpdatedAt).Seconds())
		}
		t := p.tally[key]
		if t == nil {
			t = &batchTally{policy: d.Policy}
			p.tally[key] = t
		}
		t.add(d.Outcome)
		if d.Rule != nil {
			p.touchedTeams[types.NamespacedName{Namespace: d.Policy.Namespace, Name: d.Rule.Team}] = true
		}
	}
	return nil
}

// decisionChange turns a routing decision into the lead's new state and its audit entries; ok is
// false when there is nothing new to record (a queued lead still waiting where it waited).
func (p *pass) decisionChange(l *lead.Lead, d routing.Decision) (store.Decision, bool) {
	now := p.now
	next := *l
	base := map[string]any{"policy": d.Policy.Key(), "generation": d.Policy.Generation}
	if len(d.EvalErrors) > 0 {
		errs := make([]string, len(d.EvalErrors))
		for i, e := range d.EvalErrors {
			errs[i] = e.String()
		}
		base["expressionErrors"] = errs
	}
	if len(d.Skipped) > 0 {
		base["skippedRules"] = d.Skipped
	}
	event := func(typ, reason string, extra map[string]any) store.AuditEvent {
		data := make(map[string]any, len(base)+len(extra))
		for k, v := range base {
			data[k] = v
		}
		for k, v := range extra {
			data[k] = v
		}
		return store.AuditEvent{Actor: Actor, At: now, Type: typ, Reason: reason, Data: data}
	}
	var ch store.Decision
	if d.Outcome == routing.Disqualified {
		if l.Stage != lead.StageNew {
			return ch, false // qualified under an earlier generation and waiting: keep it
		}
		next.Stage, next.Policy, next.Reason = lead.StageDisqualified, d.Policy.Key(), d.Reason
		return store.Decision{Lead: &next, Events: []store.AuditEvent{event("disqualified", d.Reason, nil)}}, true
	}
	if l.Stage == lead.StageNew {
		// Qualification is its own audit entry: the lead is an MQL even while it waits for room.
		next.Stage, next.QualifiedAt, next.Policy = lead.StageQualified, &now, d.Policy.Key()
		ch.Events = append(ch.Events, event("qualified", "passed the qualification gate of policy "+d.Policy.Key(), nil))
	}
	team, rule := "", ""
	if d.Rule != nil {
		team, rule = d.Policy.Namespace+"/"+d.Rule.Team, d.Rule.Name
	}
	switch d.Outcome {
	case routing.Routed:
		if next.Stage != lead.StageQualified {
			return ch, false
		}
		if l.Stage == lead.StageNew {
			ch.Via = []lead.Stage{lead.StageQualified}
		}
		next.Stage, next.RoutedAt, next.TouchedAt = lead.StageRouted, &now, nil
		next.Owner, next.Team, next.Policy, next.Rule = d.Pick.Member, team, d.Policy.Key(), rule
		extra := map[string]any{
			"rule": rule, "strategy": strategyOf(d.Rule), "team": team, "owner": d.Pick.Member,
			"why": d.Pick.Why, "candidates": d.Pick.Considered,
		}
		if err := p.schedule(&next, d.Policy.Namespace, d.Rule.Team); err != nil {
			extra["slaError"] = err.Error()
		}
		ch.Events = append(ch.Events, event("routed", d.Reason, extra))
	case routing.Queued, routing.NoRule:
		if l.Stage != lead.StageNew && l.Team == team && l.Policy == d.Policy.Key() && l.Rule == rule {
			return ch, false
		}
		next.Policy, next.Team, next.Rule = d.Policy.Key(), team, rule
		ch.Events = append(ch.Events, event("queued", d.Reason, map[string]any{"rule": rule, "team": team}))
	default:
		return ch, false
	}
	ch.Lead = &next
	return ch, true
}

func strategyOf(r *routing.Rule) string {
	if r.Strategy == "" {
		return routing.RoundRobin
	}
	return r.Strategy
}

// pass is the state of one routing pass.
type pass struct {
	world        *world
	specs        map[string]*leadopsv1.LeadPolicy
	policies     []*routing.Policy
	fingerprint  string
	now          time.Time
	unmatched    int
	tally        map[string]*batchTally
	touchedTeams map[types.NamespacedName]bool
	// failed lists, per policy, the expression errors this pass met.
	failed map[string][]routing.EvalError
	// seq numbers the pass; started and overBudget pace it against PassBudget (real time).
	seq        uint64
	started    time.Time
	overBudget bool
}

// schedule starts a fresh SLA on l, which the policy l.Policy routed to team now.
func (p *pass) schedule(l *lead.Lead, namespace, team string) error {
	spec := p.specs[l.Policy]
	if spec == nil || spec.Spec.SLA == nil {
		handoff{}.apply(l)
		return nil
	}
	var cal *slaclock.Calendar
	if v := p.world.views[types.NamespacedName{Namespace: namespace, Name: team}]; v != nil {
		cal = v.Calendar
	}
	h, err := scheduleHandoff(spec.Spec.SLA, cal, p.now)
	if err != nil {
		handoff{}.apply(l)
		return err
	}
	h.apply(l)
	return nil
}

// batchTally counts one pass's outcomes for one policy; the Event aggregator sums passes.
type batchTally struct {
	policy                            *routing.Policy
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

func (r *RouterReconciler) announce(t *batchTally) {
	key := types.NamespacedName{Namespace: t.policy.Namespace, Name: t.policy.Name}
	r.Events.add(key, "Routed", corev1.EventTypeNormal, "Route", map[string]int64{
		noteRouted: t.routed, noteQueued: t.queued, noteDisqualified: t.disqual, noteNoRule: t.unrouted,
	}, "", func(c map[string]int64, _ string, window time.Duration) string {
		return "Leads" + overWindow(window) + ": " + countsNote(c, noteRouted, noteQueued, noteDisqualified, noteNoRule)
	})
	r.notify(r.PolicyChanged, &leadopsv1.LeadPolicy{}, key)
}

// announceExpressionErrors raises a Warning Event, a log line and a status refresh for each policy
// whose expressions failed in this pass.
func (r *RouterReconciler) announceExpressionErrors(ctx context.Context, p *pass) {
	for policy, errs := range p.failed {
		ns, name, _ := strings.Cut(policy, "/")
		key := types.NamespacedName{Namespace: ns, Name: name}
		last := errs[len(errs)-1]
		ctrl.LoggerFrom(ctx).Info("LeadPolicy expression failed on leads; they moved on to the next policy or rule",
			"policy", policy, "field", last.Path(), "count", len(errs), "error", last.Err)
		r.Events.add(key, "ExpressionError", corev1.EventTypeWarning, "Route", map[string]int64{"": int64(len(errs))},
			last.Path()+": "+last.Err, func(c map[string]int64, extra string, window time.Duration) string {
				return fmt.Sprintf("%s failed on leads%s (they moved on to the next policy or rule); last: %s",
					plural(c[""], "expression evaluation"), overWindow(window), extra)
			})
		r.notify(r.PolicyChanged, &leadopsv1.LeadPolicy{}, key)
	}
}

func (r *RouterReconciler) notify(ch chan event.GenericEvent, obj client.Object, key types.NamespacedName) {
	if ch == nil {
		return
	}
	obj.SetNamespace(key.Namespace)
	obj.SetName(key.Name)
	nudges.send(ch, obj) // at most once a second per object (router_nudge.go)
}

// loadPolicies compiles every valid policy (cached per generation) and returns them in decision
// order, with a fingerprint of the set for the unmatched memo.
func (r *RouterReconciler) loadPolicies(ctx context.Context) ([]*routing.Policy, map[string]*leadopsv1.LeadPolicy, string, error) {
	list := &leadopsv1.LeadPolicyList{}
	if err := r.List(ctx, list); err != nil {
		return nil, nil, "", fmt.Errorf("listing LeadPolicies: %w", err)
	}
	specs := make(map[string]*leadopsv1.LeadPolicy, len(list.Items))
	seen := map[types.NamespacedName]bool{}
	var out []*routing.Policy
	var fp []string
	for i := range list.Items {
		p := &list.Items[i]
		key := client.ObjectKeyFromObject(p)
		seen[key] = true
		cp := r.compiled[key]
		if cp == nil || cp.Generation != p.Generation {
			var specErr *specError
			if cp, specErr = compilePolicy(p); specErr != nil {
				delete(r.compiled, key)
				continue // the LeadPolicy reconciler reports it as Ready=False
			}
			r.compiled[key] = cp
		}
		out = append(out, cp.routingPolicy(p))
		specs[key.String()] = p
		fp = append(fp, fmt.Sprintf("%s@%d", key, p.Generation))
	}
	for k := range r.compiled {
		if !seen[k] {
			delete(r.compiled, k)
		}
	}
	routing.SortPolicies(out)
	sort.Strings(fp)
	return out, specs, strings.Join(fp, ","), nil
}

func (cp *compiledPolicy) routingPolicy(p *leadopsv1.LeadPolicy) *routing.Policy {
	rp := &routing.Policy{Namespace: p.Namespace, Name: p.Name, Generation: p.Generation, Priority: p.Spec.Priority}
	if cp.Selector != nil {
		rp.Selector = cp.Selector
	}
	if cp.Qualification != nil {
		rp.Qualification = cp.Qualification
		rp.DisqualifyReason = p.Spec.Qualification.Reason
		if rp.DisqualifyReason == "" {
			rp.DisqualifyReason = "did not meet the qualification gate"
		}
	}
	for _, cr := range cp.Rules {
		rule := routing.Rule{Name: cr.Rule.Name, Team: cr.Rule.TeamRef.Name, Strategy: string(cr.Rule.Strategy)}
		if cr.When != nil {
			rule.When = cr.When
		}
		rp.Rules = append(rp.Rules, rule)
	}
	return rp
}

// SetupWithManager registers the router and the store watcher.
func (r *RouterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.BatchSize <= 0 {
		r.BatchSize = 500
	}
	r.compiled = map[types.NamespacedName]*compiledPolicy{}
	r.matches = map[string]*matchMemo{}
	if r.ExpressionErrors == nil {
		r.ExpressionErrors = newExpressionErrors()
	}
	if r.Events == nil {
		r.Events = &eventAggregator{Client: mgr.GetClient(), Recorder: r.Recorder}
	}
	r.states = map[string]*routing.RuleState{}
	if r.Wake == nil {
		r.Wake = make(chan event.GenericEvent, 1)
	}
	if err := mgr.Add(&storeWatcher{Store: r.Store, Out: r.Wake}); err != nil {
		return err
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
		Complete(r)
}

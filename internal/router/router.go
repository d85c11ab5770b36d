package router

import (
	"context"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/accountmatch"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// Store is what the router needs of the lead store.
type Store interface {
	// PendingLeads pages through the leads awaiting a routing decision.
	PendingLeads(ctx context.Context, after store.PendingCursor, limit int) ([]*lead.Lead, error)
	// DueHandoffs lists open handoffs whose deadline is at or before t and whose breach is not recorded.
	DueHandoffs(ctx context.Context, t time.Time, limit int) ([]*lead.Lead, error)
	// CommitDecisions writes decisions as compare-and-swaps with their audit entries, in one transaction.
	CommitDecisions(ctx context.Context, ds []store.Decision) (applied []*lead.Lead, conflicts []string, err error)
	// OpenLoad counts open leads per owner.
	OpenLoad(ctx context.Context) (map[string]int, error)
	// RuleHistory is a rule's last assignee and its assignments per member, to resume its turn.
	RuleHistory(ctx context.Context, policy, rule string) (last string, counts map[string]int64, err error)
	// FindAccounts returns the accounts owning any of domains or having any of companyKeys.
	FindAccounts(ctx context.Context, domains, companyKeys []string) ([]store.Account, error)
}

// Router runs routing passes. It remembers between passes what saves work and never changes an
// outcome: each pending lead's match while neither the lead nor the policies change, and the turn of
// each rule. One Router serves one process; passes must not run concurrently.
type Router struct {
	Store Store
	// BatchSize is the page size of the pending queue and of due handoffs (default 500).
	BatchSize int
	// PassBudget bounds the real time one pass spends deciding leads (default 2s); the rest of the
	// queue waits for the next pass (Report.Truncated), so SLA enforcement never waits behind a long
	// stretch of expensive expressions.
	PassBudget time.Duration

	matches map[string]*matchMemo
	states  map[ruleKey]*routing.RuleState
	passes  uint64
}

// DefaultBatchSize and DefaultPassBudget are the defaults of BatchSize and PassBudget.
const (
	DefaultBatchSize  = 500
	DefaultPassBudget = 2 * time.Second
)

// matchMemo keeps a pending lead's match while neither the lead nor the set of policies changes, so a
// waiting lead is decided again without evaluating any expression, and an expression that failed on
// it is not evaluated again until something changes.
type matchMemo struct {
	version  int64
	policies string
	match    *routing.Match
	// arm is the experiment arm that governs the lead (zero for none).
	arm arm
	// reported counts the match's errors already reported: Assign may evaluate more rules later.
	reported int
	// pass is the last pass that saw the lead, for forgetting leads that left the queue.
	pass uint64
}

// Report is what a pass did, for the controller to turn into metrics, Events and status.
type Report struct {
	// Decisions are the committed routing decisions, in commit order.
	Decisions []Decided
	// Unmatched counts the pending leads no policy selects (set on complete passes only).
	Unmatched int
	// UnmatchedNew counts the leads found unmatched for the first time in this pass.
	UnmatchedNew int
	// ExpressionErrors are the expressions that failed on a lead for the first time in this pass.
	ExpressionErrors []ExpressionError
	// Breaches are the committed breach records.
	Breaches []Breach
	// Conflicts counts decisions another writer beat us to; the next pass reads those leads again.
	Conflicts int
	// Problems are leads the router could not decide (a lifecycle refusal); they stay as they are.
	Problems []string
	// Truncated says the pass stopped at its time budget: run another at once.
	Truncated bool
}

// Decided is one committed routing decision.
type Decided struct {
	LeadID  string
	Outcome routing.Outcome
	Policy  string
	Rule    string
	// Team is the rule's team (zero when no rule matched).
	Team  TeamKey
	Owner string
	// Waited is how long the lead waited, from its last change to the decision's instant.
	Waited time.Duration
}

// ExpressionError is an expression that failed on a lead.
type ExpressionError struct {
	LeadID     string
	Generation int64
	routing.EvalError
}

// Run runs one pass: every pending lead is decided (page by page, each page committed while the next is
// decided), then every due handoff's breach is recorded and acted on.
func (r *Router) Run(ctx context.Context, in Input) (*Report, error) {
	if r.matches == nil {
		r.matches, r.states = map[string]*matchMemo{}, map[ruleKey]*routing.RuleState{}
	}
	batch, budget := r.BatchSize, r.PassBudget
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	if budget <= 0 {
		budget = DefaultPassBudget
	}
	ps, rps, fingerprint := in.sorted()
	xs := in.experiments()
	fingerprint += experimentFingerprint(xs, in.Now)
	load, err := r.Store.OpenLoad(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading open load per rep: %w", err)
	}
	if err := gatherStates(ctx, r.Store, ps, r.states); err != nil {
		return nil, err
	}
	r.passes++
	p := &pass{
		snapshot:    snapshot{policies: withArmPolicies(byKey(ps), xs), now: in.Now, world: &World{teams: in.Teams, load: load, states: r.states, owners: map[string]string{}, accounts: map[string]accountmatch.Match{}}},
		routing:     rps,
		experiments: xs,
		fingerprint: fingerprint,
		seq:         r.passes,
		started:     time.Now(),
		budget:      budget,
		report:      &Report{},
	}
	if err := r.route(ctx, p, batch); err != nil {
		return p.report, err
	}
	if p.report.Truncated {
		p.report.Unmatched = 0
	} else {
		p.report.Unmatched = p.unmatched
		r.forgetLeftLeads(p.seq)
	}
	if err := r.enforceSLAs(ctx, p, batch); err != nil {
		return p.report, err
	}
	return p.report, nil
}

// pass is the state of one routing pass.
type pass struct {
	snapshot
	routing     []*routing.Policy
	experiments []*Experiment
	fingerprint string
	seq         uint64
	started     time.Time
	budget      time.Duration
	unmatched   int
	report      *Report
}

// route walks the whole pending queue page by page, so new leads are reached behind a long queue of
// leads that wait for room or that no policy selects. A page's commit runs while the next page is read
// and decided: the next page's decisions already count the loads and turns of the page in flight,
// exactly as when the pages ran one after the other.
func (r *Router) route(ctx context.Context, p *pass, batch int) error {
	var cursor store.PendingCursor
	var inflight *pageCommit
	for {
		pending, err := r.Store.PendingLeads(ctx, cursor, batch)
		if err != nil {
			err = fmt.Errorf("listing leads awaiting routing: %w", err)
		}
		var page *pageDecisions
		if err == nil && len(pending) > 0 {
			page, err = r.decidePage(ctx, p, pending)
		}
		if err := r.settle(p, inflight, err); err != nil {
			return err
		}
		inflight = r.commitPage(ctx, page)
		if len(pending) < batch || p.report.Truncated {
			break
		}
		cursor = store.After(pending[len(pending)-1])
	}
	return r.settle(p, inflight, nil)
}

// pageDecisions are one page's decisions, in the order of their leads.
type pageDecisions struct {
	changes   []store.Decision
	decisions []routing.Decision
	waited    []time.Duration
}

// decidePage gathers the page's accounts and decides each lead; it stops early, with
// report.Truncated set, when the pass has used its time budget (after at least one lead).
func (r *Router) decidePage(ctx context.Context, p *pass, pending []*lead.Lead) (*pageDecisions, error) {
	skip := func(l *lead.Lead) bool {
		m := r.matches[l.ID]
		return m != nil && m.version == l.Version && m.policies == p.fingerprint && m.match.Policy == nil
	}
	if err := gatherAccounts(ctx, r.Store, p.routing, pending, p.world.accounts, skip); err != nil {
		return nil, err
	}
	originals, err := gatherOriginals(ctx, r.Store, pending)
	if err != nil {
		return nil, err
	}
	page := &pageDecisions{}
	for i, l := range pending {
		if i > 0 && time.Since(p.started) > p.budget {
			p.report.Truncated = true
			break
		}
		memo, fresh := r.matchOf(p, l)
		if memo.match.Policy == nil {
			p.unmatched++
			if fresh {
				p.report.UnmatchedNew++
			}
			r.reportErrors(p, l, memo)
			continue
		}
		d := routing.Assign(memo.match, p.world, nil)
		r.reportErrors(p, l, memo)
		d, change, ok, err := p.decideLead(l, d, originals)
		if err != nil {
			p.report.Problems = append(p.report.Problems, fmt.Sprintf("lead %s: %v", l.ID, err))
			continue
		}
		if !ok {
			continue
		}
		tagArm(&change, l, memo.arm)
		p.commitToWorld(d)
		page.changes = append(page.changes, change)
		page.decisions = append(page.decisions, d)
		page.waited = append(page.waited, p.now.Sub(l.UpdatedAt))
	}
	return page, nil
}

// matchOf returns the lead's match, from the memo while neither the lead nor the policies changed.
func (r *Router) matchOf(p *pass, l *lead.Lead) (memo *matchMemo, fresh bool) {
	memo = r.matches[l.ID]
	if memo == nil || memo.version != l.Version || memo.policies != p.fingerprint {
		m, a := matchLead(p.experiments, p.routing, l, p.now)
		memo = &matchMemo{version: l.Version, policies: p.fingerprint, match: m, arm: a}
		r.matches[l.ID] = memo
		fresh = true
	}
	memo.pass = p.seq
	return memo, fresh
}

// reportErrors reports the errors the lead's match met since they were last reported.
func (r *Router) reportErrors(p *pass, l *lead.Lead, memo *matchMemo) {
	for _, e := range memo.match.Errors[memo.reported:] {
		gen := int64(0)
		if pol := p.policies[e.Policy]; pol != nil {
			gen = pol.Generation
		}
		p.report.ExpressionErrors = append(p.report.ExpressionErrors, ExpressionError{LeadID: l.ID, Generation: gen, EvalError: e})
	}
	memo.reported = len(memo.match.Errors)
}

// forgetLeftLeads drops the memo of leads a complete pass no longer found pending.
func (r *Router) forgetLeftLeads(seq uint64) {
	for id, m := range r.matches {
		if m.pass != seq {
			delete(r.matches, id)
		}
	}
}

// pageCommit is a page's commit, in flight until done is closed.
type pageCommit struct {
	*pageDecisions
	done      chan struct{}
	applied   []*lead.Lead
	conflicts []string
	err       error
}

// commitPage starts committing the page's decisions (nil when there is nothing to commit).
func (r *Router) commitPage(ctx context.Context, page *pageDecisions) *pageCommit {
	if page == nil || len(page.changes) == 0 {
		return nil
	}
	c := &pageCommit{pageDecisions: page, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.applied, c.conflicts, c.err = r.Store.CommitDecisions(ctx, page.changes)
	}()
	return c
}

// settle waits for the commit in flight, if any, and takes in its outcome. It returns err, or the
// commit's error when err is nil: the commit is always waited for, so nothing outlives the pass.
func (r *Router) settle(p *pass, c *pageCommit, err error) error {
	if c == nil {
		return err
	}
	<-c.done
	if cerr := r.finishPage(p, c); err == nil {
		err = cerr
	}
	return err
}

// finishPage reports a page's committed decisions; after a failed or conflicting commit the turns
// remembered in memory may be ahead of the store, so they are reloaded from history next pass.
func (r *Router) finishPage(p *pass, c *pageCommit) error {
	if c.err != nil {
		r.forgetTurns()
		return fmt.Errorf("committing %d routing decisions: %w", len(c.changes), c.err)
	}
	if len(c.conflicts) > 0 {
		r.forgetTurns()
		p.report.Conflicts += len(c.conflicts)
	}
	ok := make(map[string]bool, len(c.applied))
	for _, l := range c.applied {
		ok[l.ID] = true
		// The commit bumped the lead's version, so its memo can never match again: drop it now
		// rather than at the end of the next complete pass. Behind a long queue every pass stops at
		// its budget, and the memos of all the leads routed meanwhile (each holding the lead's CEL
		// view) would pile up in memory.
		delete(r.matches, l.ID)
	}
	for i, d := range c.decisions {
		l := c.changes[i].Lead
		if !ok[l.ID] {
			continue
		}
		dec := Decided{LeadID: l.ID, Outcome: d.Outcome, Policy: d.Policy.Key(), Owner: l.Owner, Waited: c.waited[i]}
		if d.Rule != nil {
			dec.Rule, dec.Team = d.Rule.Name, TeamKey{Namespace: d.Policy.Namespace, Name: d.Rule.Team}
		}
		p.report.Decisions = append(p.report.Decisions, dec)
	}
	return nil
}

func (r *Router) forgetTurns() {
	for k := range r.states {
		delete(r.states, k)
	}
}

// enforceSLAs records every handoff whose deadline has come, once, and reassigns or escalates it. A
// recorded breach leaves the due list, so pages shrink it; it stops when a page makes no progress.
func (r *Router) enforceSLAs(ctx context.Context, p *pass, batch int) error {
	for {
		due, err := r.Store.DueHandoffs(ctx, p.now, batch)
		if err != nil {
			return fmt.Errorf("listing handoffs past their deadline: %w", err)
		}
		var changes []store.Decision
		var breaches []Breach
		for _, l := range due {
			ch, b, ok, err := p.breachChange(l)
			if err != nil {
				p.report.Problems = append(p.report.Problems, fmt.Sprintf("lead %s: %v", l.ID, err))
				continue
			}
			if ok {
				changes, breaches = append(changes, ch), append(breaches, b)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		applied, conflicts, err := r.Store.CommitDecisions(ctx, changes)
		if err != nil {
			r.forgetTurns()
			return fmt.Errorf("recording %d SLA breaches: %w", len(changes), err)
		}
		if len(conflicts) > 0 {
			r.forgetTurns()
			p.report.Conflicts += len(conflicts)
		}
		ok := make(map[string]bool, len(applied))
		for _, l := range applied {
			ok[l.ID] = true
		}
		for _, b := range breaches {
			if ok[b.LeadID] {
				p.report.Breaches = append(p.report.Breaches, b)
			}
		}
		if len(due) < batch || len(applied) == 0 {
			return nil
		}
	}
}

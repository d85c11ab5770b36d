package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/accountmatch"
	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// whyNot says why a lead has no owner: from its stage and audit log, and, with the policies, by
// deciding it again now.
func (x *explainer) whyNot(ctx context.Context, b backend, l *lead.Lead, events []store.AuditEvent, objs *objects) {
	fmt.Fprintln(x.w, "\nWhy it is not routed")
	last := func(typ string) *store.AuditEvent {
		for i := len(events) - 1; i >= 0; i-- {
			if events[i].Type == typ {
				return &events[i]
			}
		}
		return nil
	}
	switch l.Stage {
	case lead.StageNew:
		x.para(2, "It is new: no LeadPolicy selected it when the controller last looked at it (a lead no policy selects stays new, "+
			"and leadops_unmatched_leads counts it), or the controller has not seen it yet.")
	case lead.StageQualified:
		if q := last(lead.EventQueued); q != nil {
			if dataStr(*q, "rule") == "" {
				x.para(2, fmt.Sprintf("It waits since %s: policy %s governs it, but none of its routing rules matched it.", x.at(q.At), policyWithGeneration(*q)))
			} else {
				x.para(2, fmt.Sprintf("It waits since %s: %s (policy %s).", x.at(q.At), firstNonEmpty(q.Reason, "no member could take it"), policyWithGeneration(*q)))
			}
		} else {
			x.para(2, "It is qualified and waits for the controller to route it: no decision is recorded yet.")
		}
	case lead.StageDisqualified:
		if d := last(lead.EventDisqualified); d != nil && d.Actor == controllerActor {
			x.para(2, fmt.Sprintf("Policy %s's qualification gate refused it on %s: %s. A disqualified lead is not routed again until marketing re-qualifies it.",
				policyWithGeneration(*d), x.at(d.At), firstNonEmpty(d.Reason, l.Reason, "no reason recorded")))
		} else {
			x.para(2, fmt.Sprintf("It was disqualified %s: %s. A disqualified lead is not routed until marketing re-qualifies it.",
				firstNonEmpty(disqualifiedBy(l, events), "by marketing"), firstNonEmpty(l.Reason, "no reason recorded")))
		}
	}
	if objs == nil {
		x.para(2, "Give the policies (-f DIR of YAML, or --cluster) to decide it again as it is now and see which selector, gate or rule stops it.")
		return
	}
	x.redecide(ctx, b, l, objs)
}

// redecide decides the lead again now with the given policies and teams, on the store's open load,
// and says at each step what happened: the selectors in priority order, the gate, the rules, the
// team's candidates. Nothing is written.
func (x *explainer) redecide(ctx context.Context, b backend, l *lead.Lead, objs *objects) {
	in, specs, problems := objs.routerInput(x.now)
	fmt.Fprintln(x.w)
	x.para(0, fmt.Sprintf("Decided again now (%s), with the policies and teams from %s, on the open load in the store (nothing is written):", x.at(x.now), objs.From))
	for _, p := range problems {
		x.para(2, "Left out: "+p+".")
	}
	g, notes := gatherWorld(ctx, b, in, l)
	world := g.world(in)
	for _, n := range notes {
		x.para(2, "Note: "+n+".")
	}
	ps := append([]*router.Policy(nil), in.Policies...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority > ps[j].Priority
		}
		return ps[i].Key() < ps[j].Key()
	})
	cl := celenv.FromLead(l)
	var governing *router.Policy
	if len(ps) == 0 {
		x.para(2, "There is no valid LeadPolicy: nothing can select the lead.")
	}
	for i, p := range ps {
		spec := specs[p.Key()]
		head := fmt.Sprintf("%d. Policy %s (priority %d, generation %d): ", i+1, p.Key(), p.Priority, p.Generation)
		if p.Selector == nil {
			x.para(2, head+"no selector, so it selects every lead: it governs the lead.")
			governing = p
			break
		}
		expr := "selector `" + string(spec.Spec.Selector) + "`"
		ok, err := p.Selector.Eval(cl)
		switch {
		case err != nil:
			x.para(2, head+expr+" could not be evaluated on this lead ("+err.Error()+"): the next policy is tried.")
		case ok:
			x.para(2, head+expr+" is true: it governs the lead.")
			governing = p
		default:
			x.para(2, head+expr+" is false for this lead.")
		}
		if governing != nil {
			break
		}
	}
	// The router's own decision, on a world of its own: Decide moves loads and turns as if it committed.
	d, _, _, _ := router.Decide(in, g.world(in), l)
	if governing == nil {
		x.para(2, "No policy selects the lead: it stays new.")
		x.para(2, "Outcome: "+d.Reason+".")
		return
	}
	spec := specs[governing.Key()]
	if governing.Qualification == nil {
		x.para(2, "No qualification gate: every lead it selects qualifies.")
	} else {
		expr := "Qualification gate `" + string(spec.Spec.Qualification.Expression) + "`"
		ok, err := governing.Qualification.Eval(cl)
		switch {
		case err != nil:
			x.para(2, expr+" could not be evaluated on this lead: "+err.Error()+".")
			x.para(2, "Outcome: "+d.Reason+".")
			return
		case !ok:
			x.para(2, expr+" is false: the gate refuses the lead ("+governing.DisqualifyReason+").")
			x.para(2, "Outcome: disqualified: "+d.Reason+".")
			return
		default:
			x.para(2, expr+" is true: the lead qualifies.")
		}
	}
	x.rules(governing, spec, world, cl, l)
	if l.Stage == lead.StageDisqualified {
		x.para(2, "Outcome, were it qualified again: "+d.Reason+".")
		return
	}
	x.para(2, "Outcome: "+d.Reason+".")
}

// rules walks the governing policy's rules in order, as Assign does, saying what each one did.
func (x *explainer) rules(p *router.Policy, spec *leadopsv1.LeadPolicy, world *router.World, cl *celenv.Lead, l *lead.Lead) {
	for i, r := range p.Rules {
		head := fmt.Sprintf("Rule %q", r.Name)
		if i < len(spec.Spec.Rules) && spec.Spec.Rules[i].When != "" {
			head += " (when `" + string(spec.Spec.Rules[i].When) + "`)"
		} else {
			head += " (no condition)"
		}
		if r.When != nil {
			ok, err := r.When.Eval(cl)
			if err != nil {
				x.para(2, head+" could not be evaluated on this lead ("+err.Error()+"): the next rule applies.")
				continue
			}
			if !ok {
				x.para(2, head+" does not match.")
				continue
			}
		}
		team := p.Namespace + "/" + r.Team
		cands, exists := world.Candidates(p.Namespace, r.Team)
		if !exists {
			x.para(2, head+" matches, but Team "+team+" does not exist (or is not valid): the next rule applies.")
			continue
		}
		owner := ""
		if r.Strategy == routing.AccountOwner {
			owner = world.AccountOwner(l.ID, l.Domain)
		}
		pick, err := routing.Choose(r.Strategy, cands, world.RuleState(p.Key(), r.Name), owner, nil)
		if err != nil {
			x.para(2, head+" matches, but it cannot route: "+err.Error()+".")
			continue
		}
		cs := considered(pick.Considered)
		switch {
		case pick.Member != "":
			x.para(2, fmt.Sprintf("%s matches: team %s, by %s. %s It would go to %s: %s.", head, team, strategyWords(r.Strategy), cs, pick.Member, pick.Why))
			return
		case r.Strategy == routing.AccountOwner:
			why := pick.Why
			if owner != "" {
				why = fmt.Sprintf("the account owner %s is not an available member of team %s with room", owner, team)
			}
			x.para(2, fmt.Sprintf("%s matches (account owner): %s; the next rule applies.", head, why))
			continue
		case pick.Full:
			x.para(2, fmt.Sprintf("%s matches, but team %s is full: every available member is at capacity. %s The lead waits until one has room.", head, team, cs))
			return
		default:
			x.para(2, fmt.Sprintf("%s matches, but no member of team %s is available (disabled or out of office). %s The lead waits until one is back.", head, team, cs))
			return
		}
	}
	x.para(2, "No routing rule matches the lead: it waits unrouted.")
}

func considered(cs []routing.Considered) string {
	if len(cs) == 0 {
		return "The team has no members."
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = candidateWords(c.Name, c.Open, c.Capacity, c.Skipped)
	}
	return "Candidates: " + strings.Join(parts, "; ") + "."
}

// gathered is what a decision reads besides the lead, kept so the walk and the router's own decision
// start from the same snapshot.
type gathered struct {
	load   map[string]int
	states map[string]map[string]routing.RuleState
	owners map[string]string
	// matches is the explained lead's account match (local store only).
	matches map[string]accountmatch.Match
}

// gatherWorld reads what the router reads before deciding: the open load of every member, the turn of
// every round-robin and weighted rule, and the account owner of the lead's domain. Straight from a
// store (--store) that is the router's own queries; over the HTTP API the load is counted from the
// members' open leads, and what the API does not serve (rule turns, accounts) is said in notes.
func gatherWorld(ctx context.Context, b backend, in router.Input, l *lead.Lead) (*gathered, []string) {
	g := &gathered{load: map[string]int{}, states: map[string]map[string]routing.RuleState{}, owners: map[string]string{}}
	var notes []string
	type worldStore interface {
		OpenLoad(ctx context.Context) (map[string]int, error)
		RuleHistory(ctx context.Context, policy, rule string) (last string, counts map[string]int64, err error)
		FindAccounts(ctx context.Context, domains, companyKeys []string) ([]store.Account, error)
	}
	var ws worldStore
	if sb, ok := b.(*storeBackend); ok {
		ws, _ = sb.st.(worldStore)
	}
	if ws != nil {
		if load, err := ws.OpenLoad(ctx); err == nil {
			g.load = load
		} else {
			notes = append(notes, "the open load could not be read ("+err.Error()+"); every member counts as empty")
		}
		for _, p := range in.Policies {
			for _, r := range p.Rules {
				if r.Strategy != routing.RoundRobin && r.Strategy != routing.Weighted && r.Strategy != "" {
					continue
				}
				last, counts, err := ws.RuleHistory(ctx, p.Key(), r.Name)
				if err != nil {
					continue
				}
				if g.states[p.Key()] == nil {
					g.states[p.Key()] = map[string]routing.RuleState{}
				}
				g.states[p.Key()][r.Name] = routing.RuleState{Last: last, Assigned: counts}
			}
		}
		// The account as the router matches it: domain, subdomain, company name, never free-mail.
		k := accountmatch.KeysOf(l.Domain, l.Email, l.Company)
		var companies []string
		if k.CompanyKey != "" {
			companies = []string{k.CompanyKey}
		}
		if as, err := ws.FindAccounts(ctx, k.Domains(), companies); err == nil {
			if m, ok := accountmatch.Find(k, as); ok {
				g.matches = map[string]accountmatch.Match{l.ID: m}
			}
		}
	} else {
		seen := map[string]bool{}
		for _, t := range in.Teams {
			for _, m := range t.Members {
				if seen[m.Name] {
					continue
				}
				seen[m.Name] = true
				n, err := countOpen(ctx, b, m.Name)
				if err != nil {
					notes = append(notes, fmt.Sprintf("the open load of %s could not be read (%v)", m.Name, err))
					continue
				}
				g.load[m.Name] = n
			}
		}
		notes = append(notes, "over the HTTP API the rule turns and account owners are not known: who would be next in turn "+
			"is a guess, and an AccountOwner rule finds no account (use --store for the router's exact view)")
	}
	return g, notes
}

// world is a fresh snapshot of the gathered data.
func (g *gathered) world(in router.Input) *router.World {
	w := router.NewWorld(in.Teams, copyLoad(g.load), g.states, g.owners)
	for id, m := range g.matches {
		w.SetAccountMatch(id, m)
	}
	return w
}

func copyLoad(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// countOpen counts a member's open leads (routed or touched) through the backend's list.
func countOpen(ctx context.Context, b backend, owner string) (int, error) {
	f := store.ListFilter{Owner: owner, Stages: []lead.Stage{lead.StageRouted, lead.StageTouched}, Limit: api.MaxPageSize}
	n := 0
	for {
		page, err := b.List(ctx, f)
		if err != nil {
			return n, err
		}
		n += len(page.Leads)
		if page.NextCursor == "" || len(page.Leads) == 0 {
			return n, nil
		}
		f.Cursor = page.NextCursor
	}
}

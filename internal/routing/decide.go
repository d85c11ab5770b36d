package routing

import (
	"fmt"
	"sort"

	"github.com/leadops/leadops/internal/celenv"
)

// Matcher is a compiled boolean expression over a lead; nil matches every lead.
type Matcher interface {
	Eval(*celenv.Lead) (bool, error)
}

// Policy is the routing view of one LeadPolicy generation.
type Policy struct {
	Namespace, Name string
	Generation      int64
	Priority        int32
	Selector        Matcher
	Qualification   Matcher
	// DisqualifyReason is recorded on leads that fail Qualification.
	DisqualifyReason string
	Rules            []Rule
}

// Key is the policy's namespace/name, the value stored on the leads it governs.
func (p *Policy) Key() string { return p.Namespace + "/" + p.Name }

// Rule is one routing rule.
type Rule struct {
	Name     string
	When     Matcher
	Team     string
	Strategy string
}

// Outcome is what happened to a lead.
type Outcome string

const (
	// Routed: a member was chosen.
	Routed Outcome = "Routed"
	// Disqualified: the lead failed its policy's qualification gate.
	Disqualified Outcome = "Disqualified"
	// Queued: a rule matched but no member of its team can take the lead now; it waits.
	Queued Outcome = "Queued"
	// NoRule: the governing policy has no rule that matches the lead; it stays unrouted.
	NoRule Outcome = "NoRule"
	// Unmatched: no policy selects the lead.
	Unmatched Outcome = "Unmatched"
)

// Team gives routing what it needs about the world at decision time.
type World interface {
	// Candidates lists the members of a Team; ok is false when the Team does not exist.
	Candidates(namespace, team string) (cands []Candidate, ok bool)
	// RuleState is the remembered state of a policy's rule.
	RuleState(policyKey, rule string) RuleState
	// AccountOwner is the owner of the account whose domain is the lead's, or "".
	AccountOwner(domain string) string
}

// Decision is the full, explainable answer for one lead.
type Decision struct {
	Outcome Outcome
	Policy  *Policy
	Rule    *Rule
	Pick    Pick
	// Reason explains the outcome in words a sales manager understands.
	Reason string
	// EvalErrors are expression errors met on the way (a missing attribute, say); each made the
	// decision skip that policy or rule.
	EvalErrors []string
}

// SortPolicies orders policies by priority, highest first; ties go to namespace/name order, so the
// choice is stable and documented.
func SortPolicies(ps []*Policy) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority > ps[j].Priority
		}
		return ps[i].Key() < ps[j].Key()
	})
}

func match(m Matcher, l *celenv.Lead) (bool, error) {
	if m == nil {
		return true, nil
	}
	return m.Eval(l)
}

// Decide routes one lead through policies (already sorted with SortPolicies). exclude lists members the
// lead must not go to (previous owners when reassigning).
func Decide(policies []*Policy, l *celenv.Lead, w World, exclude map[string]bool) Decision {
	var d Decision
	for _, p := range policies {
		ok, err := match(p.Selector, l)
		if err != nil {
			d.EvalErrors = append(d.EvalErrors, fmt.Sprintf("policy %s selector: %v", p.Key(), err))
			continue
		}
		if ok {
			d.Policy = p
			break
		}
	}
	if d.Policy == nil {
		d.Outcome, d.Reason = Unmatched, "no LeadPolicy selects this lead"
		return d
	}
	p := d.Policy
	if pass, err := match(p.Qualification, l); err != nil || !pass {
		d.Outcome, d.Reason = Disqualified, p.DisqualifyReason
		if err != nil {
			d.EvalErrors = append(d.EvalErrors, fmt.Sprintf("policy %s qualification: %v", p.Key(), err))
			d.Reason = "the qualification gate could not be evaluated: " + err.Error()
		}
		return d
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		ok, err := match(r.When, l)
		if err != nil {
			d.EvalErrors = append(d.EvalErrors, fmt.Sprintf("rule %s: %v", r.Name, err))
			continue
		}
		if !ok {
			continue
		}
		cands, exists := w.Candidates(p.Namespace, r.Team)
		if !exists {
			d.EvalErrors = append(d.EvalErrors, fmt.Sprintf("rule %s: Team %q does not exist", r.Name, r.Team))
			continue
		}
		owner := ""
		if r.Strategy == AccountOwner {
			owner = w.AccountOwner(l.Domain)
		}
		pick, err := Choose(r.Strategy, cands, w.RuleState(p.Key(), r.Name), owner, exclude)
		if err != nil {
			d.EvalErrors = append(d.EvalErrors, fmt.Sprintf("rule %s: %v", r.Name, err))
			continue
		}
		if pick.Member != "" {
			d.Outcome, d.Rule, d.Pick = Routed, r, pick
			d.Reason = fmt.Sprintf("rule %q sent it to team %q; %s chose %s: %s", r.Name, r.Team, strategyName(r.Strategy), pick.Member, pick.Why)
			return d
		}
		if r.Strategy == AccountOwner {
			// The owner cannot take it; another rule still can.
			continue
		}
		d.Outcome, d.Rule, d.Pick = Queued, r, pick
		if pick.Full {
			d.Reason = fmt.Sprintf("rule %q matched but every available member of team %q is at capacity; the lead waits", r.Name, r.Team)
		} else {
			d.Reason = fmt.Sprintf("rule %q matched but no member of team %q is available; the lead waits", r.Name, r.Team)
		}
		return d
	}
	d.Outcome, d.Reason = NoRule, fmt.Sprintf("no routing rule of policy %s matches this lead", p.Key())
	return d
}

func strategyName(s string) string {
	switch s {
	case "", RoundRobin:
		return "round robin"
	case Weighted:
		return "weighted share"
	case LeastLoaded:
		return "least loaded"
	case AccountOwner:
		return "account owner"
	}
	return s
}

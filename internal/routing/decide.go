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
	// AccountOwner is the owner of the account the lead matches (by domain, subdomain or company
	// name; see internal/accountmatch), or "".
	AccountOwner(leadID, domain string) string
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
	EvalErrors []EvalError
	// Skipped lists rules that matched but could not route (a Team that does not exist, say).
	Skipped []string
}

// EvalError is one expression that failed on a lead: which policy, which field of it, and why.
type EvalError struct {
	// Policy is the namespace/name of the policy whose expression failed.
	Policy string
	// Field is the expression's place in the policy's spec: "selector", "qualification" or
	// "rules[N].when" — a bounded set, usable as a metric label.
	Field string
	Err   string
}

// Path is the field path of the failed expression in the LeadPolicy, e.g. spec.rules[2].when.
func (e EvalError) Path() string {
	if e.Field == "qualification" {
		return "spec.qualification.expression"
	}
	return "spec." + e.Field
}

func (e EvalError) String() string { return fmt.Sprintf("policy %s %s: %s", e.Policy, e.Path(), e.Err) }

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

// Match is the part of a decision that depends only on the lead and the policies: which policy governs
// it, whether it passes the gate, which rules match. It depends on nothing in the world (loads,
// availability), so a router may keep it while neither the lead nor the policies change and decide a
// waiting lead again without evaluating a single expression. Rules are evaluated lazily, in order, and
// each at most once.
type Match struct {
	// Policy governs the lead; nil when no policy selects it.
	Policy *Policy
	// Qualified is false when the lead failed the gate (or the gate could not be evaluated).
	Qualified bool
	// GateErr is the gate's evaluation error, if any.
	GateErr string
	// Errors are every expression error met so far, in the order met.
	Errors []EvalError

	lead  *celenv.Lead
	rules []ruleMatch // results of Policy.Rules[0:len(rules)]
}

type ruleMatch struct {
	ok  bool
	err bool
}

// MatchLead finds the governing policy of l among policies (sorted with SortPolicies) and evaluates
// its gate.
func MatchLead(policies []*Policy, l *celenv.Lead) *Match {
	m := &Match{lead: l}
	for _, p := range policies {
		ok, err := match(p.Selector, l)
		if err != nil {
			m.Errors = append(m.Errors, EvalError{Policy: p.Key(), Field: "selector", Err: err.Error()})
			continue
		}
		if ok {
			m.Policy = p
			break
		}
	}
	if m.Policy == nil {
		return m
	}
	pass, err := match(m.Policy.Qualification, l)
	if err != nil {
		m.Errors = append(m.Errors, EvalError{Policy: m.Policy.Key(), Field: "qualification", Err: err.Error()})
		m.GateErr = err.Error()
	}
	m.Qualified = pass && err == nil
	return m
}

// rule reports whether rule i of the governing policy matches, evaluating it the first time.
func (m *Match) rule(i int) bool {
	for len(m.rules) <= i {
		j := len(m.rules)
		ok, err := match(m.Policy.Rules[j].When, m.lead)
		if err != nil {
			m.Errors = append(m.Errors, EvalError{Policy: m.Policy.Key(), Field: fmt.Sprintf("rules[%d].when", j), Err: err.Error()})
		}
		m.rules = append(m.rules, ruleMatch{ok: ok && err == nil, err: err != nil})
	}
	return m.rules[i].ok
}

// Decide routes one lead through policies (already sorted with SortPolicies). exclude lists members the
// lead must not go to (previous owners when reassigning).
func Decide(policies []*Policy, l *celenv.Lead, w World, exclude map[string]bool) Decision {
	return Assign(MatchLead(policies, l), w, exclude)
}

// Assign completes a decision from a match and the state of the world. It may evaluate rules the
// match has not evaluated yet; the match remembers them.
func Assign(m *Match, w World, exclude map[string]bool) (d Decision) {
	d.Policy = m.Policy
	defer func() { d.EvalErrors = append([]EvalError(nil), m.Errors...) }()
	if m.Policy == nil {
		d.Outcome, d.Reason = Unmatched, "no LeadPolicy selects this lead"
		return d
	}
	p := m.Policy
	if !m.Qualified {
		d.Outcome, d.Reason = Disqualified, p.DisqualifyReason
		if m.GateErr != "" {
			d.Reason = "the qualification gate could not be evaluated: " + m.GateErr
		}
		return d
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if !m.rule(i) {
			continue
		}
		cands, exists := w.Candidates(p.Namespace, r.Team)
		if !exists {
			d.Skipped = append(d.Skipped, fmt.Sprintf("rule %s: Team %q does not exist", r.Name, r.Team))
			continue
		}
		owner := ""
		if r.Strategy == AccountOwner {
			owner = w.AccountOwner(m.lead.ID, m.lead.Domain)
		}
		pick, err := Choose(r.Strategy, cands, w.RuleState(p.Key(), r.Name), owner, exclude)
		if err != nil {
			d.Skipped = append(d.Skipped, fmt.Sprintf("rule %s: %v", r.Name, err))
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

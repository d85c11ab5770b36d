package routing

import (
	"errors"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/celenv"
)

type fn func(*celenv.Lead) (bool, error)

func (f fn) Eval(l *celenv.Lead) (bool, error) { return f(l) }

var (
	always    Matcher = nil
	never             = fn(func(*celenv.Lead) (bool, error) { return false, nil })
	broken            = fn(func(*celenv.Lead) (bool, error) { return false, errors.New("no such key: plan") })
	scoreOver         = func(n int64) Matcher { return fn(func(l *celenv.Lead) (bool, error) { return l.Score >= n, nil }) }
)

type world struct {
	teams    map[string][]Candidate
	accounts map[string]string
}

func (w world) Candidates(ns, team string) ([]Candidate, bool) {
	c, ok := w.teams[ns+"/"+team]
	return c, ok
}
func (w world) RuleState(string, string) RuleState   { return RuleState{} }
func (w world) AccountOwner(_, domain string) string { return w.accounts[domain] }

func TestSortPolicies(t *testing.T) {
	ps := []*Policy{
		{Namespace: "b", Name: "x", Priority: 5},
		{Namespace: "a", Name: "z", Priority: 5},
		{Namespace: "a", Name: "y", Priority: 10},
		{Namespace: "a", Name: "a", Priority: -1},
	}
	SortPolicies(ps)
	var got []string
	for _, p := range ps {
		got = append(got, p.Key())
	}
	if strings.Join(got, ",") != "a/y,a/z,b/x,a/a" {
		t.Fatalf("order %v: want priority desc, then namespace/name asc", got)
	}
}

func TestDecide(t *testing.T) {
	w := world{
		teams: map[string][]Candidate{
			"ns/sales": {c("ae-1", 5, 0), c("ae-2", 5, 0)},
			"ns/sdr":   {c("sdr-1", 2, 2)},
			"ns/away":  {{Name: "z", Capacity: 5, Available: false}},
		},
		accounts: map[string]string{"acme.com": "ae-2", "gone.com": "nobody"},
	}
	rules := []Rule{
		{Name: "owners", Team: "sales", Strategy: AccountOwner},
		{Name: "big", When: fn(func(l *celenv.Lead) (bool, error) { return l.Employees >= 1000, nil }), Team: "sales", Strategy: RoundRobin},
		{Name: "rest", Team: "sdr", Strategy: LeastLoaded},
	}
	main := &Policy{Namespace: "ns", Name: "inbound", Priority: 10, Qualification: scoreOver(60), DisqualifyReason: "score below 60", Rules: rules}
	cases := []struct {
		name       string
		policies   []*Policy
		lead       celenv.Lead
		outcome    Outcome
		policy     string
		rule       string
		member     string
		reason     string
		evalErrors int
		skipped    int
	}{
		{name: "no policies", lead: celenv.Lead{Score: 90}, outcome: Unmatched, reason: "no LeadPolicy selects"},
		{name: "selector rejects", policies: []*Policy{{Namespace: "ns", Name: "p", Selector: never, Rules: rules}}, lead: celenv.Lead{Score: 90}, outcome: Unmatched},
		{name: "selector error skips the policy and is counted", policies: []*Policy{{Namespace: "ns", Name: "p", Priority: 20, Selector: broken, Rules: rules}, main}, lead: celenv.Lead{Score: 90, Employees: 5000}, outcome: Routed, policy: "ns/inbound", rule: "big", member: "ae-1", evalErrors: 1},
		{name: "higher priority wins", policies: []*Policy{main, {Namespace: "ns", Name: "low", Rules: rules[2:]}}, lead: celenv.Lead{Score: 90, Employees: 5000}, outcome: Routed, policy: "ns/inbound", rule: "big"},
		{name: "gate fails", policies: []*Policy{main}, lead: celenv.Lead{Score: 59}, outcome: Disqualified, policy: "ns/inbound", reason: "score below 60"},
		{name: "gate error disqualifies with the error", policies: []*Policy{{Namespace: "ns", Name: "p", Qualification: broken, Rules: rules}}, lead: celenv.Lead{Score: 90}, outcome: Disqualified, reason: "could not be evaluated", evalErrors: 1},
		{name: "account owner takes the lead", policies: []*Policy{main}, lead: celenv.Lead{Score: 60, Domain: "acme.com", Employees: 5000}, outcome: Routed, rule: "owners", member: "ae-2", reason: "owns the matching account"},
		{name: "owner not a member falls to the next rule", policies: []*Policy{main}, lead: celenv.Lead{Score: 60, Domain: "gone.com", Employees: 5000}, outcome: Routed, rule: "big", member: "ae-1"},
		{name: "small company to SDR, who is full: queued", policies: []*Policy{main}, lead: celenv.Lead{Score: 60, Employees: 10}, outcome: Queued, rule: "rest", reason: "at capacity"},
		{name: "rule expression error goes to next rule", policies: []*Policy{{Namespace: "ns", Name: "p", Rules: []Rule{{Name: "x", When: broken, Team: "sales"}, {Name: "y", Team: "sales"}}}}, lead: celenv.Lead{}, outcome: Routed, rule: "y", member: "ae-1", evalErrors: 1},
		{name: "missing team goes to next rule", policies: []*Policy{{Namespace: "ns", Name: "p", Rules: []Rule{{Name: "x", Team: "ghost"}, {Name: "y", Team: "sales"}}}}, lead: celenv.Lead{}, outcome: Routed, rule: "y", skipped: 1},
		{name: "all members unavailable: queued, not full", policies: []*Policy{{Namespace: "ns", Name: "p", Rules: []Rule{{Name: "x", Team: "away"}}}}, lead: celenv.Lead{}, outcome: Queued, rule: "x", reason: "no member of team \"away\" is available"},
		{name: "no rule matches", policies: []*Policy{{Namespace: "ns", Name: "p", Rules: []Rule{{Name: "x", When: never, Team: "sales"}}}}, lead: celenv.Lead{}, outcome: NoRule, reason: "no routing rule"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := append([]*Policy(nil), tc.policies...)
			SortPolicies(ps)
			l := tc.lead
			d := Decide(ps, &l, w, nil)
			if d.Outcome != tc.outcome {
				t.Fatalf("outcome %s (%s), want %s", d.Outcome, d.Reason, tc.outcome)
			}
			if tc.policy != "" && (d.Policy == nil || d.Policy.Key() != tc.policy) {
				t.Fatalf("policy %v, want %s", d.Policy, tc.policy)
			}
			if tc.rule != "" && (d.Rule == nil || d.Rule.Name != tc.rule) {
				t.Fatalf("rule %v, want %s", d.Rule, tc.rule)
			}
			if tc.member != "" && d.Pick.Member != tc.member {
				t.Fatalf("member %q, want %q", d.Pick.Member, tc.member)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("reason %q does not contain %q", d.Reason, tc.reason)
			}
			if len(d.EvalErrors) != tc.evalErrors {
				t.Fatalf("eval errors %v, want %d", d.EvalErrors, tc.evalErrors)
			}
			if len(d.Skipped) != tc.skipped {
				t.Fatalf("skipped rules %v, want %d", d.Skipped, tc.skipped)
			}
		})
	}
}

// counting wraps a matcher and counts its evaluations.
type counting struct {
	m Matcher
	n *int
}

func (c counting) Eval(l *celenv.Lead) (bool, error) { *c.n++; return match(c.m, l) }

// TestEvalErrorsNameTheFailingExpression: an error is attributed to the policy and field whose
// expression failed, not to the policy that finally governed the lead.
func TestEvalErrorsNameTheFailingExpression(t *testing.T) {
	w := world{teams: map[string][]Candidate{"ns/sales": {c("ae-1", 5, 0)}}}
	cases := []struct {
		name     string
		policies []*Policy
		want     []EvalError
		path     string
	}{
		{"selector of a higher-priority policy", []*Policy{
			{Namespace: "ns", Name: "broken", Priority: 9, Selector: broken, Rules: []Rule{{Name: "r", Team: "sales"}}},
			{Namespace: "ns", Name: "ok", Rules: []Rule{{Name: "r", Team: "sales"}}},
		}, []EvalError{{Policy: "ns/broken", Field: "selector", Err: "no such key: plan"}}, "spec.selector"},
		{"gate", []*Policy{{Namespace: "ns", Name: "g", Qualification: broken, Rules: []Rule{{Name: "r", Team: "sales"}}}},
			[]EvalError{{Policy: "ns/g", Field: "qualification", Err: "no such key: plan"}}, "spec.qualification.expression"},
		{"third rule", []*Policy{{Namespace: "ns", Name: "r", Rules: []Rule{
			{Name: "a", When: never, Team: "sales"}, {Name: "b", When: never, Team: "sales"}, {Name: "c", When: broken, Team: "sales"}, {Name: "d", Team: "sales"},
		}}}, []EvalError{{Policy: "ns/r", Field: "rules[2].when", Err: "no such key: plan"}}, "spec.rules[2].when"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.policies, &celenv.Lead{}, w, nil)
			if len(d.EvalErrors) != len(tc.want) || d.EvalErrors[0] != tc.want[0] {
				t.Fatalf("errors %+v, want %+v", d.EvalErrors, tc.want)
			}
			if got := d.EvalErrors[0].Path(); got != tc.path {
				t.Fatalf("path %q, want %q", got, tc.path)
			}
		})
	}
}

// TestAssignReusesTheMatch: deciding a waiting lead again from its match evaluates no expression, so
// a long queue costs nothing in CEL however expensive the policy is.
func TestAssignReusesTheMatch(t *testing.T) {
	var sel, gate, r0, r1 int
	p := &Policy{Namespace: "ns", Name: "p",
		Selector:      counting{nil, &sel},
		Qualification: counting{nil, &gate},
		Rules: []Rule{
			{Name: "never", When: counting{never, &r0}, Team: "sales"},
			{Name: "all", When: counting{nil, &r1}, Team: "sales", Strategy: LeastLoaded},
		}}
	full := world{teams: map[string][]Candidate{"ns/sales": {c("ae-1", 1, 1)}}}
	m := MatchLead([]*Policy{p}, &celenv.Lead{})
	for i := 0; i < 5; i++ {
		if d := Assign(m, full, nil); d.Outcome != Queued {
			t.Fatalf("pass %d: outcome %s, want Queued", i, d.Outcome)
		}
	}
	room := world{teams: map[string][]Candidate{"ns/sales": {c("ae-1", 2, 1)}}}
	if d := Assign(m, room, nil); d.Outcome != Routed || d.Pick.Member != "ae-1" {
		t.Fatalf("with room: %s %q, want Routed to ae-1", d.Outcome, d.Pick.Member)
	}
	if sel != 1 || gate != 1 || r0 != 1 || r1 != 1 {
		t.Fatalf("evaluations selector=%d gate=%d rules=%d,%d; want each exactly once", sel, gate, r0, r1)
	}
}

// TestRulesAreEvaluatedLazily: a lead routed by its first rule never pays for the others.
func TestRulesAreEvaluatedLazily(t *testing.T) {
	var later int
	p := &Policy{Namespace: "ns", Name: "p", Rules: []Rule{
		{Name: "first", Team: "sales"},
		{Name: "second", When: counting{nil, &later}, Team: "sales"},
	}}
	w := world{teams: map[string][]Candidate{"ns/sales": {c("ae-1", 5, 0)}}}
	if d := Decide([]*Policy{p}, &celenv.Lead{}, w, nil); d.Rule == nil || d.Rule.Name != "first" {
		t.Fatalf("rule %v, want first", d.Rule)
	}
	if later != 0 {
		t.Fatalf("second rule evaluated %d times, want 0", later)
	}
}

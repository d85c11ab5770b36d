// Package policy turns leadops' custom resources into what the router, the status reconcilers and
// leadctl use: compiled LeadPolicies, parsed Teams and goal specs, checked for what only leadops can
// check (CEL against the lead schema and its cost, timezones, calendars, SLA durations), each problem a
// SpecError with its field path and the Ready reason it gives. No Kubernetes client: the controllers
// and `leadctl validate` / `preview` share it.
package policy

import (
	"fmt"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/sla"
)

// Compiled is a LeadPolicy with every expression compiled, valid for one generation.
type Compiled struct {
	Generation    int64
	Selector      *celenv.Program // nil selects every lead
	Qualification *celenv.Program // nil qualifies every lead
	Rules         []CompiledRule
	SLA           *sla.Spec // nil without deadlines
}

type CompiledRule struct {
	Rule leadopsv1.RoutingRule
	When *celenv.Program // nil matches every lead
}

// Compile compiles every CEL expression of the policy against the lead schema. The first error
// names its field path, so the user can find it in their YAML.
func Compile(p *leadopsv1.LeadPolicy) (*Compiled, *SpecError) {
	out := &Compiled{Generation: p.Generation}
	var err *SpecError
	if out.Selector, err = CompileExpression("spec.selector", p.Spec.Selector); err != nil {
		return nil, err
	}
	if q := p.Spec.Qualification; q != nil {
		if out.Qualification, err = CompileExpression("spec.qualification.expression", q.Expression); err != nil {
			return nil, err
		}
	}
	for i, rule := range p.Spec.Rules {
		when, err := CompileExpression(fmt.Sprintf("spec.rules[%d].when", i), rule.When)
		if err != nil {
			return nil, err
		}
		out.Rules = append(out.Rules, CompiledRule{Rule: rule, When: when})
	}
	if out.SLA, err = compileSLA(p.Spec.SLA); err != nil {
		return nil, err
	}
	return out, nil
}

// compileSLA parses the SLA's durations once per generation.
func compileSLA(h *leadopsv1.HandoffSLA) (*sla.Spec, *SpecError) {
	if h == nil {
		return nil, nil
	}
	spec := &sla.Spec{}
	for _, t := range []struct {
		path   string
		target *leadopsv1.SLATarget
		into   **sla.Target
	}{{"spec.sla.firstTouch", h.FirstTouch, &spec.FirstTouch}, {"spec.sla.acceptance", h.Acceptance, &spec.Acceptance}} {
		if t.target == nil {
			continue
		}
		parsed, err := sla.ParseTarget(string(t.target.Within), string(t.target.WarnBefore), t.target.Clock == leadopsv1.ClockWallClock)
		if err != nil {
			return nil, InvalidSpec(leadopsv1.ReasonInvalidSpec, "%s.%v", t.path, err)
		}
		*t.into = parsed
	}
	return spec, nil
}

// RouterPolicy is the router's view of this generation of p.
func (cp *Compiled) RouterPolicy(p *leadopsv1.LeadPolicy) *router.Policy {
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
	out := &router.Policy{Policy: rp, SLA: cp.SLA, Duplicates: string(p.Spec.Duplicates)}
	if h := p.Spec.SLA; h != nil && h.OnBreach != nil {
		out.OnBreach = router.OnBreach{Reassign: h.OnBreach.Reassign, MaxReassignments: int(h.OnBreach.MaxReassignments),
			EscalateToManager: h.OnBreach.EscalateToManager}
	}
	return out
}

// CompileExpression compiles an optional expression (nil for none) at the field path.
func CompileExpression(path string, expr leadopsv1.Expression) (*celenv.Program, *SpecError) {
	if expr == "" {
		return nil, nil
	}
	prg, err := celenv.Compile(string(expr))
	if err != nil {
		return nil, FieldSpecError(leadopsv1.ReasonInvalidExpression, path, "%v", err)
	}
	return prg, nil
}

// ReferencedTeams lists the distinct Team names a policy routes to, in rule order.
func ReferencedTeams(p *leadopsv1.LeadPolicy) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range p.Spec.Rules {
		if !seen[r.TeamRef.Name] {
			seen[r.TeamRef.Name] = true
			names = append(names, r.TeamRef.Name)
		}
	}
	return names
}

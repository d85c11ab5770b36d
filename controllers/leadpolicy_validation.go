package controllers

import (
	"fmt"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/celenv"
)

// compiledPolicy is a LeadPolicy with every expression compiled, valid for one generation.
type compiledPolicy struct {
	Generation    int64
	Selector      *celenv.Program // nil selects every lead
	Qualification *celenv.Program // nil qualifies every lead
	Rules         []compiledRule
}

type compiledRule struct {
	Rule leadopsv1.RoutingRule
	When *celenv.Program // nil matches every lead
}

// compilePolicy compiles every CEL expression of the policy against the lead schema. The first error
// names its field path, so the user can find it in their YAML.
func compilePolicy(p *leadopsv1.LeadPolicy) (*compiledPolicy, *specError) {
	out := &compiledPolicy{Generation: p.Generation}
	var err *specError
	if out.Selector, err = compileOptional("spec.selector", p.Spec.Selector); err != nil {
		return nil, err
	}
	if q := p.Spec.Qualification; q != nil {
		if out.Qualification, err = compileOptional("spec.qualification.expression", q.Expression); err != nil {
			return nil, err
		}
	}
	for i, rule := range p.Spec.Rules {
		when, err := compileOptional(fmt.Sprintf("spec.rules[%d].when", i), rule.When)
		if err != nil {
			return nil, err
		}
		out.Rules = append(out.Rules, compiledRule{Rule: rule, When: when})
	}
	return out, nil
}

func compileOptional(path string, expr leadopsv1.Expression) (*celenv.Program, *specError) {
	if expr == "" {
		return nil, nil
	}
	prg, err := celenv.Compile(string(expr))
	if err != nil {
		return nil, invalidSpec(leadopsv1.ReasonInvalidExpression, "%s: %v", path, err)
	}
	return prg, nil
}

// referencedTeams lists the distinct Team names a policy routes to, in rule order.
func referencedTeams(p *leadopsv1.LeadPolicy) []string {
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

package celenv

import (
	"strings"
	"testing"
	"time"
)

func TestCompileAndEval(t *testing.T) {
	l := NewLead(Lead{
		Email: "Ana@Example.COM", Domain: "example.com", Employees: 1200, Score: 72, Country: "DE",
		CreatedAt: time.Unix(0, 0),
	}, map[string]any{"plan": "enterprise", "seats": int64(40)})
	cases := []struct {
		expr    string
		want    bool
		compile string // substring of the compile error, "" when it must compile
		evalErr bool
	}{
		{expr: "lead.score >= 60", want: true},
		{expr: "lead.employees > 1000 && lead.country in ['DE', 'FR']", want: true},
		{expr: "emailDomain(lead.email) == lead.domain", want: true},
		{expr: "lead.email.domainOf() == 'example.com'", want: true},
		{expr: "lead.attributes['plan'] == 'enterprise'", want: true},
		{expr: "lead.attributes['missing'] == 'x'", evalErr: true},
		{expr: "has(lead.attributes.plan)", want: true},
		{expr: "lead.attributes.seats > 20", want: true},
		{expr: "lead.company.lowerAscii().startsWith('acme')", want: false},
		{expr: "lead.scor >= 60", compile: "undefined field 'scor'"},
		{expr: "lead.score", compile: "must evaluate to a bool"},
		{expr: "lead.score >=", compile: "Syntax error"},
		{expr: "   ", compile: "empty"},
		{expr: strings.Repeat("a", MaxExpressionLength+1), compile: "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.expr[:min(len(tc.expr), 40)], func(t *testing.T) {
			p, err := Compile(tc.expr)
			if tc.compile != "" {
				if err == nil || !strings.Contains(err.Error(), tc.compile) {
					t.Fatalf("compile error = %v, want it to contain %q", err, tc.compile)
				}
				return
			}
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := p.Eval(l)
			if tc.evalErr {
				if err == nil {
					t.Fatalf("want an evaluation error, got %v", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("eval = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestCostLimitStopsHostileExpression(t *testing.T) {
	p, err := Compile("[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, lead.score + a + b + c + d + e > 0)))))")
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if _, err := p.Eval(&Lead{Score: 1}); err == nil || !strings.Contains(err.Error(), "cost") {
		t.Fatalf("want a cost limit error, got %v", err)
	}
}

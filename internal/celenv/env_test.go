package celenv

import (
	"errors"
	"github.com/google/cel-go/cel"
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

const hostile = "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, lead.score + a + b + c + d + e > 0)))))"

// TestCostLimitStopsHostileExpression: the run-time limit holds even for a program that got past the
// compile-time estimate.
func TestCostLimitStopsHostileExpression(t *testing.T) {
	env, err := Env()
	if err != nil {
		t.Fatal(err)
	}
	ast, iss := env.Compile(hostile)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	prg, err := env.Program(ast, cel.CostLimit(CostLimit))
	if err != nil {
		t.Fatal(err)
	}
	p := &Program{Source: hostile, prg: prg}
	if _, err := p.Eval(&Lead{Score: 1}); err == nil || !strings.Contains(err.Error(), "cost") {
		t.Fatalf("want a cost limit error, got %v", err)
	}
}

// TestCompileRefusesWhatMayExceedTheCostLimit: the worst case over any lead the store can hold is
// estimated at compile time, so an expression that would hit the limit on some leads is refused with
// the reason, and what people write every day is not.
func TestCompileRefusesWhatMayExceedTheCostLimit(t *testing.T) {
	cases := []struct {
		expr   string
		refuse bool
	}{
		{"lead.score >= 60", false},
		{"lead.employees >= 1000 && lead.country in ['US', 'CA']", false},
		{"has(lead.attributes.plan) && lead.attributes.plan == 'enterprise'", false},
		{"emailDomain(lead.email) != lead.domain", false},
		{"lead.email.endsWith('.example') || lead.company.lowerAscii().contains('acme')", false},
		{"lead.attributes.exists(k, k.startsWith('utm_'))", false},
		{"has(lead.attributes.tags) && lead.attributes.tags.exists(t, t == 'vip')", false},
		{"lead.email.split('@').size() == 2", false},
		{hostile, true},
		{"lists.range(1000).exists(i, lists.range(1000).exists(j, i * j == lead.score))", true},
		{"lead.attributes.tags.exists(a, lead.attributes.tags.exists(b, a == b))", true},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Compile(tc.expr)
			var ce *CostError
			if tc.refuse != errors.As(err, &ce) {
				t.Fatalf("Compile error %v; want refusal for cost: %v", err, tc.refuse)
			}
			if tc.refuse && !strings.Contains(err.Error(), "over the limit of 100000") {
				t.Fatalf("message %q does not name the limit", err)
			}
		})
	}
}

// TestRuntimeErrorsHideTheLeadsData: runtime errors reach status, Events and logs, so a value that came
// from the lead is redacted, while what the expression's author wrote stays to help them fix it.
func TestRuntimeErrorsHideTheLeadsData(t *testing.T) {
	lead := NewLead(Lead{Email: "jane.doe@acme.example", Company: "Jane Doe Consulting"}, map[string]any{"tier": "gold"})
	cases := []struct{ expr, want string }{
		{"lead.attributes.plan == 'x'", "no such key: plan"},
		{"lead.attributes[lead.email] == 1", "no such key: <redacted>"},
		{"timestamp(lead.email) > lead.createdAt", `invalid RFC 3339 timestamp "<redacted>"`},
		{"int(lead.company) > 0", "type conversion error from 'string' to 'int'"},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			p, err := Compile(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Eval(lead)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "jane") || strings.Contains(err.Error(), "Jane") {
				t.Fatalf("error %q carries the lead's data", err)
			}
		})
	}
}

package celenv

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// evalBound is how long one evaluation may take. Within CostLimit a typical rule takes microseconds;
// the bound is loose enough for a loaded CI machine running the fuzzer's instrumented build.
const evalBound = time.Second

// FuzzCompileEval compiles arbitrary expressions and evaluates the ones that compile over arbitrary
// leads that the store could hold (string fields within their limits, attributes that pass the API's
// validation): no panic, and every evaluation ends within evalBound with a bool or an error, since the
// cost estimate at compile time is the worst case over such leads.
func FuzzCompileEval(f *testing.F) {
	for _, e := range []string{
		"lead.score >= 60",
		"lead.employees > 1000 && lead.country in ['DE', 'FR']",
		"emailDomain(lead.email) == lead.domain",
		"lead.email.domainOf() == 'example.com'",
		"lead.attributes['plan'] == 'enterprise'",
		"has(lead.attributes.plan) && lead.attributes.seats > 20",
		"lead.company.lowerAscii().startsWith('acme')",
		"lead.company.split('').all(c, lead.email.split('').exists(d, c == d))",
		"lead.attributes.exists(k, lead.attributes[k] == lead.company)",
		"[1,2,3].map(x, [1,2,3].map(y, x*y)).size() > 3",
		"lead.email.matches('^(a+)+$')",
		"lead.createdAt > timestamp('2026-01-01T00:00:00Z')",
		"lead.amount / 0.0 > 1.0",
		"lead.score / (lead.employees - lead.employees) > 0",
		"sets.contains(lead.attributes.tags, ['a'])",
		"lead.company.replace('a', lead.company).size() > 10",
		"dyn(lead.attributes.seats) == 4",
		"lead.email.indexOf('@') > lead.email.lastIndexOf('.')",
	} {
		f.Add(e, "ana@example.com", "Acme", "example.com", int64(72), int64(1200), []byte(`{"plan":"enterprise","seats":40,"tags":["a","b"]}`))
	}
	f.Add("lead.score", "", "", "", int64(0), int64(0), []byte(`{}`))
	f.Add("lead.score >=", "", "", "", int64(-1), int64(-1), []byte(`null`))
	f.Fuzz(func(t *testing.T, expr, email, company, domain string, score, employees int64, attrsJSON []byte) {
		p, err := Compile(expr)
		if err != nil {
			if p != nil {
				t.Fatalf("a program with an error: %v", err)
			}
			return
		}
		var attrs map[string]any
		if len(attrsJSON) > validate.MaxAttributeJSON || json.Unmarshal(attrsJSON, &attrs) != nil ||
			len(validate.Lead("", store.LeadInput{ExternalID: "x", Attributes: attrs})) > 0 {
			attrs = map[string]any{}
		}
		l := NewLead(Lead{
			ID: "l-1", ExternalID: "x", Email: clip(email, validate.MaxEmailLength),
			Company: clip(company, validate.MaxShortText), Domain: clip(domain, validate.MaxDomainLength),
			Country: clip(company, 2), Score: score, Employees: employees, Stage: "New",
			CreatedAt: time.Unix(score, employees).UTC(), Amount: float64(score) / 3,
		}, attrs)
		done := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(done)
			_, _ = p.Eval(l)
		}()
		select {
		case <-done:
		case <-time.After(evalBound):
			t.Fatalf("evaluating %q took longer than %s", expr, evalBound)
		}
		if d := time.Since(start); d > evalBound {
			t.Fatalf("evaluating %q took %s, over %s", expr, d, evalBound)
		}
	})
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

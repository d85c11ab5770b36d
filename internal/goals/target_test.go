package goals

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func fp(v float64) *float64 { return &v }
func gp(p int32) *int32     { return &p }

func TestResolveTarget(t *testing.T) {
	tests := []struct {
		name     string
		metric   Metric
		spec     TargetSpec
		baseline Measure
		want     float64 // when ok
		reason   string  // when not ok
		capped   bool
		message  string // substring
	}{
		{name: "absolute count", metric: MetricNewLeads, spec: TargetSpec{Value: fp(30000)}, want: 30000, message: "target 30,000 new leads"},
		{name: "absolute ignores the baseline", metric: MetricRevenue, spec: TargetSpec{Value: fp(30000)}, baseline: Known(0), want: 30000},
		{name: "absolute decimal percentage", metric: MetricConversionRate, spec: TargetSpec{Value: fp(92.5)}, want: 92.5, message: "target 92.5% conversion rate"},
		{name: "absolute zero", metric: MetricWonDeals, spec: TargetSpec{Value: fp(0)}, want: 0},
		{name: "duration", metric: MetricTimeToFirstTouch, spec: TargetSpec{Duration: "30m"}, want: 1800, message: "target median time to first touch 30m"},
		{name: "compound duration", metric: MetricTimeToFirstTouch, spec: TargetSpec{Duration: "1h2m3.5s"}, want: 3723.5},
		{name: "+10% on 1000 is exactly 1100", metric: MetricNewLeads, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(1000), want: 1100,
			message: "target 1,100: +10% on the previous period's 1,000"},
		{name: "+10% on 1234 rounds up to a whole lead", metric: MetricMQLs, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(1234), want: 1358},
		{name: "+10% on 3 rounds up", metric: MetricWonDeals, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(3), want: 4},
		{name: "+0% holds steady", metric: MetricSQLs, spec: TargetSpec{GrowthPercent: gp(0)}, baseline: Known(500), want: 500},
		{name: "-20% on counts", metric: MetricAccepted, spec: TargetSpec{GrowthPercent: gp(-20)}, baseline: Known(500), want: 400},
		{name: "-100% is zero", metric: MetricAccepted, spec: TargetSpec{GrowthPercent: gp(-100)}, baseline: Known(500), want: 0},
		{name: "+10000% is 101 times", metric: MetricNewLeads, spec: TargetSpec{GrowthPercent: gp(10000)}, baseline: Known(3), want: 303},
		{name: "revenue rounds up to the cent", metric: MetricRevenue, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(12345.67), want: 13580.24},
		{name: "revenue exact cents stay", metric: MetricRevenue, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(27000.1), want: 29700.11},
		{name: "rate growth is relative, not points", metric: MetricConversionRate, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(20), want: 22},
		{name: "percentage capped at 100", metric: MetricSLACompliance, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(95), want: 100, capped: true,
			message: "capped at 100%"},
		{name: "faster time to first touch", metric: MetricTimeToFirstTouch, spec: TargetSpec{GrowthPercent: gp(-20)}, baseline: Known(1800), want: 1440,
			message: "target 24m: -20% on the previous period's 30m"},
		{name: "time target rounds down to the second", metric: MetricTimeToFirstTouch, spec: TargetSpec{GrowthPercent: gp(-20)}, baseline: Known(1234.5), want: 987},
		{name: "slower allowed", metric: MetricTimeToFirstTouch, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(600), want: 660},

		{name: "zero baseline, positive growth", metric: MetricNewLeads, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(0), reason: ReasonBaselineZero,
			message: "the previous period's new leads was 0, so +10% growth has nothing to grow from; set an absolute target instead"},
		{name: "missing count baseline is zero", metric: MetricWonDeals, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Measure{}, reason: ReasonBaselineZero},
		{name: "NaN count baseline is zero", metric: MetricRevenue, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Measure{Value: math.NaN(), Valid: true}, reason: ReasonBaselineZero},
		{name: "zero baseline, negative growth", metric: MetricNewLeads, spec: TargetSpec{GrowthPercent: gp(-10)}, baseline: Known(0), reason: ReasonBaselineZero},
		{name: "zero baseline, zero growth", metric: MetricNewLeads, spec: TargetSpec{GrowthPercent: gp(0)}, baseline: Known(0), reason: ReasonBaselineZero},
		{name: "zero time baseline", metric: MetricTimeToFirstTouch, spec: TargetSpec{GrowthPercent: gp(-20)}, baseline: Known(0), reason: ReasonBaselineZero,
			message: "was 0s"},
		{name: "zero rate baseline", metric: MetricConversionRate, spec: TargetSpec{GrowthPercent: gp(50)}, baseline: Known(0), reason: ReasonBaselineZero,
			message: "was 0%"},
		{name: "no rate measured last period", metric: MetricSLACompliance, spec: TargetSpec{GrowthPercent: gp(5)}, baseline: Measure{}, reason: ReasonBaselineMissing,
			message: "the previous period has no SLA compliance to grow +5% from"},
		{name: "Inf rate baseline is missing", metric: MetricTimeToFirstTouch, spec: TargetSpec{GrowthPercent: gp(5)}, baseline: Measure{Value: math.Inf(1), Valid: true}, reason: ReasonBaselineMissing},
		{name: "negative revenue baseline", metric: MetricRevenue, spec: TargetSpec{GrowthPercent: gp(10)}, baseline: Known(-50), reason: ReasonBaselineNegative},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ResolveTarget(tc.metric, tc.spec, tc.baseline)
			if err != nil {
				t.Fatal(err)
			}
			if tc.reason != "" {
				if r.OK || r.Reason != tc.reason {
					t.Errorf("got OK=%v reason %q, want reason %q", r.OK, r.Reason, tc.reason)
				}
			} else if !r.OK || r.Target != tc.want || r.Reason != "" {
				t.Errorf("got OK=%v target %v reason %q, want %v", r.OK, r.Target, r.Reason, tc.want)
			}
			if r.Capped != tc.capped {
				t.Errorf("Capped = %v", r.Capped)
			}
			if r.Growth != tc.spec.NeedsBaseline() {
				t.Errorf("Growth = %v", r.Growth)
			}
			if !strings.Contains(r.Message, tc.message) || r.Message == "" {
				t.Errorf("message %q, want it to contain %q", r.Message, tc.message)
			}
			if !finite(r.Target) || !finite(r.Baseline.Value) {
				t.Errorf("non-finite result %+v", r)
			}
		})
	}
}

func TestResolveTargetErrors(t *testing.T) {
	tests := []struct {
		name   string
		metric Metric
		spec   TargetSpec
		field  string
	}{
		{"unknown metric", "Leads", TargetSpec{Value: fp(1)}, "metric"},
		{"nothing set", MetricNewLeads, TargetSpec{}, "target"},
		{"value and growth", MetricNewLeads, TargetSpec{Value: fp(1), GrowthPercent: gp(1)}, "target"},
		{"duration and growth", MetricTimeToFirstTouch, TargetSpec{Duration: "30m", GrowthPercent: gp(1)}, "target"},
		{"value for a time", MetricTimeToFirstTouch, TargetSpec{Value: fp(1800)}, "target.value"},
		{"duration for a count", MetricNewLeads, TargetSpec{Duration: "30m"}, "target.duration"},
		{"negative value", MetricRevenue, TargetSpec{Value: fp(-1)}, "target.value"},
		{"NaN value", MetricRevenue, TargetSpec{Value: fp(math.NaN())}, "target.value"},
		{"Inf value", MetricRevenue, TargetSpec{Value: fp(math.Inf(1))}, "target.value"},
		{"percentage over 100", MetricSLACompliance, TargetSpec{Value: fp(100.5)}, "target.value"},
		{"not a duration", MetricTimeToFirstTouch, TargetSpec{Duration: "soon"}, "target.duration"},
		{"days are not a Go duration", MetricTimeToFirstTouch, TargetSpec{Duration: "1d"}, "target.duration"},
		{"zero duration", MetricTimeToFirstTouch, TargetSpec{Duration: "0s"}, "target.duration"},
		{"negative duration", MetricTimeToFirstTouch, TargetSpec{Duration: "-5m"}, "target.duration"},
		{"growth below -100", MetricNewLeads, TargetSpec{GrowthPercent: gp(-101)}, "target.growthPercent"},
		{"growth above 10000", MetricNewLeads, TargetSpec{GrowthPercent: gp(10001)}, "target.growthPercent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ResolveTarget(tc.metric, tc.spec, Known(100))
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SpecError", err)
			}
			if se.Path != tc.field {
				t.Errorf("field %q, want %q (%v)", se.Path, tc.field, err)
			}
		})
	}
}

// Growth targets on whole-count baselines are whole, never below the exact growth, and less than one
// above it; time targets are whole seconds, never above the exact growth.
func TestGrowthRoundingProperties(t *testing.T) {
	for b := 1; b <= 2000; b += 7 {
		for _, p := range []int32{-100, -37, -10, -1, 0, 1, 3, 10, 15, 33, 100, 250} {
			exact := float64(b) * float64(100+p) / 100
			r, err := ResolveTarget(MetricNewLeads, TargetSpec{GrowthPercent: gp(p)}, Known(float64(b)))
			if err != nil || !r.OK {
				t.Fatalf("b=%d p=%d: %v %+v", b, p, err, r)
			}
			if r.Target != math.Trunc(r.Target) || r.Target < exact-1e-9 || r.Target >= exact+1 {
				t.Fatalf("count b=%d p=%d: target %v, exact %v", b, p, r.Target, exact)
			}
			r, _ = ResolveTarget(MetricTimeToFirstTouch, TargetSpec{GrowthPercent: gp(p)}, Known(float64(b)))
			if r.Target != math.Trunc(r.Target) || r.Target > exact+1e-9 || r.Target <= exact-1 {
				t.Fatalf("time b=%d p=%d: target %v, exact %v", b, p, r.Target, exact)
			}
		}
	}
}

package goals

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	// 2027-Q1 in UTC is 90 days: 2027-02-15 is exactly half-way, 2027-01-10 a tenth.
	q, _ := ResolvePeriod(PeriodSpec{Quarter: "2027-Q1"}, time.UTC)
	ny, _ := ResolvePeriod(PeriodSpec{Month: "2028-03"}, mustLoc(t, "America/New_York")) // 743h, DST inside
	const (
		before = "2026-12-31T23:59:59Z"
		start  = "2027-01-01T00:00:00Z"
		early  = "2027-01-01T23:59:59Z" // a second before pace is judged
		tenth  = "2027-01-10T00:00:00Z"
		mid    = "2027-02-15T00:00:00Z"
		end    = "2027-04-01T00:00:00Z"
		after  = "2027-05-01T00:00:00Z"
	)
	abs := func(v float64) Resolution { return Resolution{OK: true, Target: v, Message: "target"} }
	zeroBase, _ := ResolveTarget(MetricNewLeads, TargetSpec{GrowthPercent: gp(10)}, Known(0))
	noCur := Measure{}
	tests := []struct {
		name    string
		metric  Metric
		period  *Period // default q
		target  Resolution
		current Measure
		tol     int32 // -1 means the default 10
		now     string
		state   State
		reason  string  // default: the state
		status  string  // "True", "False", "Unknown"
		message string  // exact, when set
		contain string  // substring, when set
		proj    float64 // NaN: no projection
		prog    float64 // NaN: no progress
	}{
		// Not started.
		{name: "not started", metric: MetricNewLeads, target: abs(30000), current: Known(0), tol: -1, now: before,
			state: StateNotStarted, status: "Unknown", message: "2027-Q1 starts 2027-01-01 00:00 UTC; target", proj: math.NaN(), prog: math.NaN()},
		{name: "not started, unresolved target still says not started", metric: MetricNewLeads, target: zeroBase, tol: -1, now: before,
			state: StateNotStarted, status: "Unknown", message: "2027-Q1 starts 2027-01-01 00:00 UTC", proj: math.NaN(), prog: math.NaN()},

		// Cumulative: pace at start, early, middle, end.
		{name: "at start, nothing yet: too early", metric: MetricNewLeads, target: abs(30000), current: Known(0), tol: -1, now: start,
			state: StateOnTrack, status: "True", message: "too early to project: 0 of 30,000 new leads so far, 0% of 2027-Q1 elapsed", proj: math.NaN(), prog: 0},
		{name: "a second before pace is judged", metric: MetricNewLeads, target: abs(30000), current: Known(3), tol: -1, now: early,
			state: StateOnTrack, status: "True", contain: "too early to project: 3 of 30,000", proj: math.NaN(), prog: 0.0001},
		{name: "a tenth in, on pace", metric: MetricNewLeads, target: abs(30000), current: Known(3000), tol: -1, now: tenth,
			state: StateOnTrack, status: "True", message: "projected 30,000 of 30,000 new leads (+0.0%)", proj: 30000, prog: 0.1},
		{name: "middle, ahead", metric: MetricNewLeads, target: abs(30000), current: Known(16750), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "projected 33,500 of 30,000 new leads (+11.7%)", proj: 33500, prog: 16750.0 / 30000},
		{name: "middle, behind within tolerance", metric: MetricNewLeads, target: abs(30000), current: Known(13700), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "projected 27,400 of 30,000 new leads (-8.7%), within the 10% tolerance", proj: 27400, prog: 13700.0 / 30000},
		{name: "middle, exactly at tolerance is on track", metric: MetricNewLeads, target: abs(30000), current: Known(13500), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "projected 27,000 of 30,000 new leads (-10.0%), within the 10% tolerance", proj: 27000, prog: 0.45},
		{name: "middle, just beyond tolerance", metric: MetricNewLeads, target: abs(30000), current: Known(13499), tol: -1, now: mid,
			state: StateAtRisk, status: "False", message: "projected 26,998 of 30,000 new leads (-10.0%), beyond the 10% tolerance", proj: 26998, prog: 13499.0 / 30000},
		{name: "middle, zero current", metric: MetricRevenue, target: abs(30000), current: Known(0), tol: -1, now: mid,
			state: StateAtRisk, status: "False", message: "projected 0 of 30,000 revenue (-100.0%), beyond the 10% tolerance", proj: 0, prog: 0},
		{name: "missing count is zero", metric: MetricWonDeals, target: abs(10), current: noCur, tol: -1, now: mid,
			state: StateAtRisk, status: "False", proj: 0, prog: 0},
		{name: "NaN count is zero", metric: MetricWonDeals, target: abs(10), current: Measure{Value: math.NaN(), Valid: true}, tol: -1, now: mid,
			state: StateAtRisk, status: "False", proj: 0, prog: 0},
		{name: "zero tolerance: a lead short is at risk", metric: MetricNewLeads, target: abs(30000), current: Known(14999), tol: 0, now: mid,
			state: StateAtRisk, status: "False", contain: "beyond the 0% tolerance", proj: 29998, prog: 14999.0 / 30000},
		{name: "zero tolerance: on pace is on track", metric: MetricNewLeads, target: abs(30000), current: Known(15000), tol: 0, now: mid,
			state: StateOnTrack, status: "True", proj: 30000, prog: 0.5},
		{name: "100% tolerance is never at risk", metric: MetricNewLeads, target: abs(30000), current: Known(0), tol: 100, now: mid,
			state: StateOnTrack, status: "True", contain: "within the 100% tolerance", proj: 0, prog: 0},
		{name: "negative tolerance clamps to 0", metric: MetricNewLeads, target: abs(30000), current: Known(14999), tol: -5, now: mid,
			state: StateAtRisk, status: "False", contain: "beyond the 0% tolerance", proj: 29998, prog: 14999.0 / 30000},
		{name: "tolerance over 100 clamps to 100", metric: MetricNewLeads, target: abs(30000), current: Known(0), tol: 250, now: mid,
			state: StateOnTrack, status: "True", contain: "within the 100% tolerance", proj: 0, prog: 0},
		{name: "achieved mid-period", metric: MetricNewLeads, target: abs(30000), current: Known(31200), tol: -1, now: mid,
			state: StateAchieved, status: "True", message: "reached 31,200 of 30,000 new leads (104%) before the end of 2027-Q1", proj: 62400, prog: 1.04},
		{name: "achieved before pace is judged", metric: MetricNewLeads, target: abs(10), current: Known(10), tol: -1, now: start,
			state: StateAchieved, status: "True", proj: math.NaN(), prog: 1},
		{name: "zero target is achieved at once", metric: MetricAccepted, target: abs(0), current: Known(0), tol: -1, now: start,
			state: StateAchieved, status: "True", proj: math.NaN(), prog: 1},
		{name: "missed at the end exactly", metric: MetricNewLeads, target: abs(30000), current: Known(29999), tol: -1, now: end,
			state: StateMissed, status: "False", message: "ended 2027-Q1 at 29,999 of 30,000 new leads (99%), 1 short", proj: 29999, prog: 29999.0 / 30000},
		{name: "achieved at the end", metric: MetricRevenue, target: abs(30000), current: Known(30000.5), tol: -1, now: after,
			state: StateAchieved, status: "True", message: "reached 30,000.5 of 30,000 revenue (100%) in 2027-Q1", proj: 30000.5, prog: 30000.5 / 30000},
		{name: "DST month, real-time pace", metric: MetricNewLeads, period: &ny, target: abs(743), current: Known(300), tol: -1, now: "2028-03-16T12:30:00-04:00",
			state: StateAtRisk, status: "False", proj: 300 / (371.5 / 743), prog: 300.0 / 743},

		// Rates: achieved only when the period is over.
		{name: "rate above target mid-period is on track, not achieved", metric: MetricSLACompliance, target: abs(95), current: Known(100), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "SLA compliance 100% against a target of 95% (+5.3%)", proj: 100, prog: 100.0 / 95},
		{name: "rate within tolerance", metric: MetricConversionRate, target: abs(92.5), current: Known(85), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "conversion rate 85% against a target of 92.5% (-8.1%), within the 10% tolerance", proj: 85, prog: 85 / 92.5},
		{name: "rate exactly at a decimal tolerance", metric: MetricConversionRate, target: abs(92.5), current: Known(83.25), tol: -1, now: mid,
			state: StateOnTrack, status: "True", proj: 83.25, prog: 0.9},
		{name: "rate just beyond a decimal tolerance", metric: MetricConversionRate, target: abs(92.5), current: Known(83.24), tol: -1, now: mid,
			state: StateAtRisk, status: "False", proj: 83.24, prog: 83.24 / 92.5},
		{name: "rate met at the end", metric: MetricSLACompliance, target: abs(95), current: Known(95), tol: -1, now: end,
			state: StateAchieved, status: "True", message: "ended 2027-Q1 with SLA compliance 95% against a target of 95%", proj: 95, prog: 1},
		{name: "rate missed at the end", metric: MetricSLACompliance, target: abs(95), current: Known(94.99), tol: -1, now: end,
			state: StateMissed, status: "False", message: "ended 2027-Q1 with SLA compliance 94.99% against a target of 95%", proj: 94.99, prog: 94.99 / 95},
		{name: "rate zero current mid-period", metric: MetricConversionRate, target: abs(20), current: Known(0), tol: -1, now: mid,
			state: StateAtRisk, status: "False", proj: 0, prog: 0},
		{name: "rate zero target", metric: MetricConversionRate, target: abs(0), current: Known(0), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "conversion rate 0% against a target of 0%", proj: 0, prog: 1},
		{name: "rate with no data yet", metric: MetricConversionRate, target: abs(20), current: noCur, tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "no conversion rate measured yet in 2027-Q1; target 20%", proj: math.NaN(), prog: math.NaN()},
		{name: "rate with no data at the end is missed", metric: MetricConversionRate, target: abs(20), current: noCur, tol: -1, now: end,
			state: StateMissed, status: "False", message: "no conversion rate was measured in 2027-Q1; target 20%", proj: math.NaN(), prog: math.NaN()},
		{name: "rate too early", metric: MetricSLACompliance, target: abs(95), current: Known(0), tol: -1, now: early,
			state: StateOnTrack, status: "True", contain: "too early to project: SLA compliance 0% so far", proj: math.NaN(), prog: 0},

		// Lower is better.
		{name: "time faster than target", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(1620), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "median time to first touch 27m against a target of 30m (-10.0%)", proj: 1620, prog: 1800.0 / 1620},
		{name: "time slower, exactly at tolerance", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(1980), tol: -1, now: mid,
			state: StateOnTrack, status: "True", message: "median time to first touch 33m against a target of 30m (+10.0%), within the 10% tolerance", proj: 1980, prog: 1800.0 / 1980},
		{name: "time slower beyond tolerance", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(1981), tol: -1, now: mid,
			state: StateAtRisk, status: "False", message: "median time to first touch 33m1s against a target of 30m (+10.1%), beyond the 10% tolerance", proj: 1981, prog: 1800.0 / 1981},
		{name: "time twice as fast is 200%", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(900), tol: -1, now: mid,
			state: StateOnTrack, status: "True", proj: 900, prog: 2},
		{name: "time zero current meets any target", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(0), tol: -1, now: mid,
			state: StateOnTrack, status: "True", proj: 0, prog: 1},
		{name: "time zero target, slower is at risk", metric: MetricTimeToFirstTouch, target: abs(0), current: Known(60), tol: -1, now: mid,
			state: StateAtRisk, status: "False", proj: 60, prog: 0},
		{name: "time met at the end", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(1800), tol: -1, now: end,
			state: StateAchieved, status: "True", proj: 1800, prog: 1},
		{name: "time missed at the end", metric: MetricTimeToFirstTouch, target: abs(1800), current: Known(1801), tol: -1, now: after,
			state: StateMissed, status: "False", message: "ended 2027-Q1 with median time to first touch 30m1s against a target of 30m", proj: 1801, prog: 1800.0 / 1801},
		{name: "time with no data yet", metric: MetricTimeToFirstTouch, target: abs(1800), current: noCur, tol: -1, now: mid,
			state: StateOnTrack, status: "True", proj: math.NaN(), prog: math.NaN()},

		// Unresolved targets.
		{name: "zero baseline is explained", metric: MetricNewLeads, target: zeroBase, current: Known(5), tol: -1, now: mid,
			state: StateUnresolved, reason: ReasonBaselineZero, status: "Unknown", message: zeroBase.Message, proj: math.NaN(), prog: math.NaN()},
		{name: "zero baseline after the end", metric: MetricNewLeads, target: zeroBase, current: Known(5), tol: -1, now: after,
			state: StateUnresolved, reason: ReasonBaselineZero, status: "Unknown", proj: math.NaN(), prog: math.NaN()},
		{name: "NaN target", metric: MetricNewLeads, target: abs(math.NaN()), current: Known(5), tol: -1, now: mid,
			state: StateUnresolved, reason: ReasonInvalidTarget, status: "Unknown", proj: math.NaN(), prog: math.NaN()},
		{name: "zero Resolution", metric: MetricNewLeads, target: Resolution{}, current: Known(5), tol: -1, now: mid,
			state: StateUnresolved, status: "Unknown", message: "the target is not resolved", proj: math.NaN(), prog: math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := q
			if tc.period != nil {
				p = *tc.period
			}
			tol := tc.tol
			if tol == -1 {
				tol = DefaultTolerancePercent
			}
			in := Inputs{Metric: tc.metric, Period: p, Target: tc.target, Current: tc.current, TolerancePercent: tol, Now: mustTime(t, tc.now)}
			e := Evaluate(in)
			reason := tc.reason
			if reason == "" {
				reason = string(tc.state)
			}
			if e.State != tc.state || e.Reason != reason || e.Status != tc.status {
				t.Errorf("got %s/%s/%s, want %s/%s/%s (%s)", e.State, e.Reason, e.Status, tc.state, reason, tc.status, e.Message)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message\n got %q\nwant %q", e.Message, tc.message)
			}
			if !strings.Contains(e.Message, tc.contain) || e.Message == "" {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.contain)
			}
			checkMeasure(t, "projection", e.Projection, tc.proj)
			checkMeasure(t, "progress", e.Progress, tc.prog)
			if want := p.ElapsedShare(in.Now); e.ExpectedProgress != want {
				t.Errorf("expected progress %v, want %v", e.ExpectedProgress, want)
			}
			if want := NextEvaluation(p, in.Now); !e.NextEvaluation.Equal(want) {
				t.Errorf("next evaluation %s, want %s", e.NextEvaluation, want)
			}
		})
	}
}

func checkMeasure(t *testing.T, what string, got Measure, want float64) {
	t.Helper()
	if math.IsNaN(want) {
		if got.Valid {
			t.Errorf("%s = %v, want none", what, got.Value)
		}
		return
	}
	if !got.Valid || !near(got.Value, want) {
		t.Errorf("%s = %+v, want %v", what, got, want)
	}
}

func TestEvaluateDisplay(t *testing.T) {
	q, _ := ResolvePeriod(PeriodSpec{Quarter: "2027-Q1"}, time.UTC)
	r, _ := ResolveTarget(MetricNewLeads, TargetSpec{GrowthPercent: gp(10)}, Known(25000))
	e := Evaluate(Inputs{Metric: MetricNewLeads, Period: q, Target: r, Current: Known(13700), TolerancePercent: 10,
		Now: mustTime(t, "2027-02-15T00:00:00Z")})
	want := Display{Current: "13700", Target: "27500", Baseline: "25000", Progress: "50%", ExpectedProgress: "50%", Projection: "27400"}
	if got := e.Display(); got != want {
		t.Errorf("Display() = %+v, want %+v", got, want)
	}

	r, _ = ResolveTarget(MetricTimeToFirstTouch, TargetSpec{Duration: "30m"}, Measure{})
	e = Evaluate(Inputs{Metric: MetricTimeToFirstTouch, Period: q, Target: r, Current: Known(1650), TolerancePercent: 10,
		Now: mustTime(t, "2027-01-10T00:00:00Z")})
	want = Display{Current: "27m30s", Target: "30m", Progress: "109%", ExpectedProgress: "10%", Projection: "27m30s"}
	if got := e.Display(); got != want {
		t.Errorf("Display() = %+v, want %+v", got, want)
	}

	e = Evaluate(Inputs{Metric: MetricSLACompliance, Period: q, Target: Resolution{OK: true, Target: 95}, Current: Measure{},
		Now: mustTime(t, "2027-01-10T00:00:00Z")})
	want = Display{Target: "95", ExpectedProgress: "10%"}
	if got := e.Display(); got != want {
		t.Errorf("Display() = %+v, want %+v", got, want)
	}
}

// Over a grid of metrics, targets, currents (including NaN and ±Inf) and instants: no NaN or Inf comes
// out, the condition status matches the state, and for cumulative metrics more progress never makes
// the state worse.
func TestEvaluateProperties(t *testing.T) {
	q, _ := ResolvePeriod(PeriodSpec{Quarter: "2028-Q1"}, mustLoc(t, "Asia/Kolkata"))
	rank := map[State]int{StateMissed: 0, StateAtRisk: 1, StateOnTrack: 2, StateAchieved: 3}
	currents := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -5, 0, 1e-9, 0.5, 1, 50, 99.99, 100, 1000, 29999, 30000, 1e12}
	for _, m := range Metrics {
		for _, target := range []float64{0, 1, 95, 1800, 30000} {
			for now := q.Start.Add(-time.Hour); now.Before(q.End.Add(2 * time.Hour)); now = now.Add(61 * time.Hour) {
				for _, tol := range []int32{0, 10, 100} {
					last := -1
					for _, c := range currents {
						in := Inputs{Metric: m, Period: q, Target: Resolution{OK: true, Target: target}, Current: Known(c), TolerancePercent: tol, Now: now}
						if math.IsNaN(c) || math.IsInf(c, 0) {
							in.Current = Measure{Value: c, Valid: true}
						}
						e := Evaluate(in)
						for _, v := range []float64{e.Progress.Value, e.Projection.Value, e.Gap.Value, e.ExpectedProgress, e.Current.Value, e.Target.Value} {
							if !finite(v) {
								t.Fatalf("%s target %v current %v at %s: non-finite %+v", m, target, c, now, e)
							}
						}
						if e.Status != e.State.ConditionStatus() || e.Message == "" || e.Progress.Value < 0 {
							t.Fatalf("%s target %v current %v at %s: %+v", m, target, c, now, e)
						}
						if strings.Contains(e.Message, "NaN") || strings.Contains(e.Message, "Inf") {
							t.Fatalf("message %q", e.Message)
						}
						d := e.Display()
						for _, s := range []string{d.Current, d.Target, d.Progress, d.ExpectedProgress, d.Projection} {
							if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
								t.Fatalf("display %+v", d)
							}
						}
						if m.Cumulative() && finite(c) && !now.Before(q.Start) {
							r := rank[e.State]
							if r < last {
								t.Fatalf("%s target %v: current %v made the state worse: %s", m, target, c, e.State)
							}
							last = r
						}
					}
				}
			}
		}
	}
}

func TestConditionStatus(t *testing.T) {
	want := map[State]string{StateNotStarted: "Unknown", StateOnTrack: "True", StateAtRisk: "False",
		StateAchieved: "True", StateMissed: "False", StateUnresolved: "Unknown"}
	for s, w := range want {
		if got := s.ConditionStatus(); got != w {
			t.Errorf("%s.ConditionStatus() = %s, want %s", s, got, w)
		}
	}
}

package goals

import (
	"fmt"
	"math"
	"time"
)

// TargetSpec mirrors the TeamGoal target: exactly one of Value, Duration or GrowthPercent.
type TargetSpec struct {
	// Value is an absolute target (a count, revenue, or a percentage for ConversionRate and
	// SLACompliance). The reconciler passes resource.Quantity.AsApproximateFloat64().
	Value *float64
	// Duration is the TimeToFirstTouch target as a Go duration ("30m").
	Duration string
	// GrowthPercent is relative to the previous period's value: 10 is 10% more, -20 is 20% less.
	GrowthPercent *int32
}

// Reasons a growth target cannot be resolved.
const (
	ReasonBaselineZero     = "BaselineZero"
	ReasonBaselineNegative = "BaselineNegative"
	ReasonBaselineMissing  = "BaselineMissing"
	// ReasonInvalidTarget is Evaluate's reason for a Resolution that says OK with a NaN or ±Inf
	// target, which ResolveTarget never returns.
	ReasonInvalidTarget = "InvalidTarget"
)

// Growth limits, as the API validates them: the TeamGoal CRD repeats them as literal markers, and a
// test in api/v1alpha1 holds those equal to these.
const (
	MinGrowthPercent = -100
	MaxGrowthPercent = 10000
)

// Validate checks t against metric m, as the API's validation does, and a little further (a value
// must be finite and non-negative, a percentage at most 100, a duration positive).
func (t TargetSpec) Validate(m Metric) error {
	if !m.Valid() {
		return specErr("metric", "%q is not a metric; use one of %v", string(m), Metrics)
	}
	set := 0
	for _, b := range []bool{t.Value != nil, t.Duration != "", t.GrowthPercent != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return specErr("target", "set exactly one of value, duration or growthPercent (%d set)", set)
	}
	switch {
	case t.Value != nil:
		v := *t.Value
		if m.IsDuration() {
			return specErr("target.value", "%s takes a target.duration such as \"30m\", not a value", m)
		}
		if !finite(v) || v < 0 {
			return specErr("target.value", "%v is not a non-negative number", v)
		}
		if m.Percentage() && v > 100 {
			return specErr("target.value", "%s is a percentage; %v is over 100", m, v)
		}
	case t.Duration != "":
		if !m.IsDuration() {
			return specErr("target.duration", "only TimeToFirstTouch takes a duration; %s takes a target.value", m)
		}
		d, err := time.ParseDuration(t.Duration)
		if err != nil {
			return specErr("target.duration", "%q is not a duration such as \"30m\" or \"1h30m\"", t.Duration)
		}
		if d <= 0 {
			return specErr("target.duration", "%q must be longer than zero", t.Duration)
		}
	default:
		if p := *t.GrowthPercent; p < MinGrowthPercent || p > MaxGrowthPercent {
			return specErr("target.growthPercent", "%d is outside %d..%d", p, MinGrowthPercent, MaxGrowthPercent)
		}
	}
	return nil
}

// NeedsBaseline reports whether the target is relative to the previous period, whose value the caller
// must then measure and pass to ResolveTarget.
func (t TargetSpec) NeedsBaseline() bool { return t.GrowthPercent != nil }

// Resolution is a target resolved to a number, or the reason it could not be.
type Resolution struct {
	// OK is true when Target holds the resolved target.
	OK bool
	// Target is the value to reach (seconds for TimeToFirstTouch).
	Target float64
	// Growth is true for a growth target; GrowthPercent and Baseline then say what it was resolved
	// from.
	Growth        bool
	GrowthPercent int32
	Baseline      Measure
	// Capped is true when a percentage target was capped at 100.
	Capped bool
	// Reason is the CamelCase reason when !OK: ReasonBaselineZero, ReasonBaselineNegative or
	// ReasonBaselineMissing.
	Reason string
	// Message says, for people, how the target was resolved or why it could not be.
	Message string
}

// ResolveTarget resolves t for metric m. baseline is the metric's value over the previous period and
// is only read for growth targets. An invalid spec is an error (*SpecError); a growth target that
// cannot be resolved from its baseline is a Resolution with OK false, a Reason and a Message.
func ResolveTarget(m Metric, t TargetSpec, baseline Measure) (Resolution, error) {
	if err := t.Validate(m); err != nil {
		return Resolution{}, err
	}
	switch {
	case t.Value != nil:
		v := *t.Value
		return Resolution{OK: true, Target: v,
			Message: fmt.Sprintf("target %s %s", human(m, v), m.noun())}, nil
	case t.Duration != "":
		d, _ := time.ParseDuration(t.Duration)
		v := FromDuration(d)
		return Resolution{OK: true, Target: v,
			Message: fmt.Sprintf("target %s %s", m.noun(), human(m, v))}, nil
	}
	p := *t.GrowthPercent
	r := Resolution{Growth: true, GrowthPercent: p}
	if !finite(baseline.Value) {
		baseline = Measure{}
	}
	if !baseline.Valid && m.Cumulative() {
		baseline = Measure{Value: 0, Valid: true}
	}
	r.Baseline = baseline
	switch {
	case !baseline.Valid:
		r.Reason = ReasonBaselineMissing
		r.Message = fmt.Sprintf("the previous period has no %s to grow %s from; set an absolute target instead",
			m.noun(), signedPercent(p))
		return r, nil
	case baseline.Value == 0:
		r.Reason = ReasonBaselineZero
		r.Message = fmt.Sprintf("the previous period's %s was %s, so %s growth has nothing to grow from; set an absolute target instead",
			m.noun(), human(m, 0), signedPercent(p))
		return r, nil
	case baseline.Value < 0:
		r.Reason = ReasonBaselineNegative
		r.Message = fmt.Sprintf("the previous period's %s was %s, so %s growth has no meaning; set an absolute target instead",
			m.noun(), human(m, baseline.Value), signedPercent(p))
		return r, nil
	}
	// baseline × (100+p) / 100: exact for whole counts, so 10% on 1000 is 1100, not 1100.0000000000002.
	v := baseline.Value * float64(100+int64(p)) / 100
	if m.LowerIsBetter() {
		v = roundDown(v, m.decimals())
	} else {
		v = roundUp(v, m.decimals())
	}
	if m.Percentage() && v > 100 {
		v, r.Capped = 100, true
	}
	r.OK, r.Target = true, v
	r.Message = fmt.Sprintf("target %s: %s on the previous period's %s", human(m, v), signedPercent(p), human(m, baseline.Value))
	if r.Capped {
		r.Message += ", capped at 100%"
	}
	return r, nil
}

// roundUp rounds v up to n decimals, ignoring float noise below a millionth of the last decimal.
func roundUp(v float64, n int) float64 {
	s := math.Pow(10, float64(n))
	return math.Ceil(v*s-1e-6) / s
}

// roundDown rounds v down to n decimals, ignoring float noise below a millionth of the last decimal.
func roundDown(v float64, n int) float64 {
	s := math.Pow(10, float64(n))
	return math.Floor(v*s+1e-6) / s
}

func signedPercent(p int32) string { return fmt.Sprintf("%+d%%", p) }

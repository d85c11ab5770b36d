package goals

import (
	"fmt"
	"math"
	"time"
)

// State is where a goal stands. It is the reason of the TeamGoal's OnTrack condition, except for
// StateUnresolved, whose reason is the Resolution's (BaselineZero, ...).
type State string

// The states of a goal.
const (
	StateNotStarted State = "NotStarted"
	StateOnTrack    State = "OnTrack"
	StateAtRisk     State = "AtRisk"
	StateAchieved   State = "Achieved"
	StateMissed     State = "Missed"
	StateUnresolved State = "Unresolved"
)

// ConditionStatus is the status of the OnTrack condition in state s: "True" for OnTrack and Achieved,
// "False" for AtRisk and Missed, "Unknown" for NotStarted and Unresolved.
func (s State) ConditionStatus() string {
	switch s {
	case StateOnTrack, StateAchieved:
		return "True"
	case StateAtRisk, StateMissed:
		return "False"
	}
	return "Unknown"
}

// DefaultTolerancePercent is the API's default atRiskTolerancePercent.
const DefaultTolerancePercent = 10

// Inputs is everything Evaluate needs.
type Inputs struct {
	Metric Metric
	Period Period
	Target Resolution
	// Current is the metric over [Period.Start, min(Now, Period.End)).
	Current Measure
	// TolerancePercent is how far the projection may fall short of the target before the goal is
	// AtRisk; clamped to [0, 100].
	TolerancePercent int32
	Now              time.Time
}

// Evaluation is where a goal stands at Inputs.Now.
type Evaluation struct {
	Metric Metric
	State  State
	// Reason is the OnTrack condition's reason: the State, or the Resolution's reason when the
	// target is unresolved.
	Reason string
	// Status is the OnTrack condition's status: "True", "False" or "Unknown".
	Status string
	// Message says, for people, where the goal stands and why.
	Message string

	Current  Measure
	Target   Measure
	Baseline Measure
	// Progress is current/target (target/current for TimeToFirstTouch); invalid when unknown.
	Progress Measure
	// ExpectedProgress is the elapsed share of the period, in [0, 1].
	ExpectedProgress float64
	// Projection is the value expected at the period's end at the current pace (the final value once
	// the period is over); invalid before Period.PaceFrom and when there is no data.
	Projection Measure
	// Gap is (projection - target) / target; invalid when Projection is or the target is 0.
	Gap Measure
	// NextEvaluation is when time alone may change the evaluation; zero when it no longer can.
	NextEvaluation time.Time
}

// Evaluate decides where a goal stands. It never returns NaN or ±Inf.
func Evaluate(in Inputs) Evaluation {
	m, p, now := in.Metric, in.Period, in.Now
	tol := math.Min(100, math.Max(0, float64(in.TolerancePercent)))
	e := Evaluation{
		Metric:           m,
		ExpectedProgress: p.ElapsedShare(now),
		NextEvaluation:   NextEvaluation(p, now),
		Baseline:         in.Target.Baseline,
	}
	cur := in.Current
	if !finite(cur.Value) {
		cur = Measure{}
	}
	if !cur.Valid && m.Cumulative() {
		cur = Measure{Value: 0, Valid: true}
	}
	e.Current = cur
	target := in.Target.Target
	if in.Target.OK && !finite(target) {
		in.Target.OK, in.Target.Reason, in.Target.Message = false, ReasonInvalidTarget, "the target is not a number"
	}
	if in.Target.OK {
		e.Target = Known(target)
	}
	label := p.Label()

	if now.Before(p.Start) {
		msg := fmt.Sprintf("%s starts %s", label, p.Start.Format("2006-01-02 15:04 MST"))
		if in.Target.OK {
			msg += "; " + in.Target.Message
		}
		return e.set(StateNotStarted, "", msg)
	}
	if !in.Target.OK {
		msg := in.Target.Message
		if msg == "" {
			msg = "the target is not resolved"
		}
		return e.set(StateUnresolved, in.Target.Reason, msg)
	}
	if cur.Valid {
		e.Progress = Known(progress(m, cur.Value, target))
	}
	over := !now.Before(p.End)
	if cur.Valid && !now.Before(p.PaceFrom()) {
		// From PaceFrom on, the elapsed share is positive.
		if m.Cumulative() {
			e.Projection = Known(cur.Value / e.ExpectedProgress)
		} else {
			e.Projection = cur
		}
	}
	met := cur.Valid && (m.LowerIsBetter() && cur.Value <= target || !m.LowerIsBetter() && cur.Value >= target)
	noun := m.noun()

	if m.Cumulative() {
		switch {
		case met && over:
			return e.set(StateAchieved, "", fmt.Sprintf("reached %s of %s %s (%s) in %s",
				human(m, cur.Value), human(m, target), noun, FormatPercent(e.Progress.Value), label))
		case met:
			return e.set(StateAchieved, "", fmt.Sprintf("reached %s of %s %s (%s) before the end of %s",
				human(m, cur.Value), human(m, target), noun, FormatPercent(e.Progress.Value), label))
		case over:
			return e.set(StateMissed, "", fmt.Sprintf("ended %s at %s of %s %s (%s), %s short",
				label, human(m, cur.Value), human(m, target), noun, FormatPercent(e.Progress.Value),
				human(m, target-cur.Value)))
		case now.Before(p.PaceFrom()):
			return e.set(StateOnTrack, "", fmt.Sprintf("too early to project: %s of %s %s so far, %s of %s elapsed",
				human(m, cur.Value), human(m, target), noun, FormatPercent(e.ExpectedProgress), label))
		}
		return e.judge(target, tol, fmt.Sprintf("projected %s of %s %s", human(m, e.Projection.Value), human(m, target), noun))
	}

	switch {
	case !cur.Valid && over:
		return e.set(StateMissed, "", fmt.Sprintf("no %s was measured in %s; target %s", noun, label, human(m, target)))
	case !cur.Valid:
		return e.set(StateOnTrack, "", fmt.Sprintf("no %s measured yet in %s; target %s", noun, label, human(m, target)))
	case over && met:
		return e.set(StateAchieved, "", fmt.Sprintf("ended %s with %s %s against a target of %s",
			label, noun, human(m, cur.Value), human(m, target)))
	case over:
		return e.set(StateMissed, "", fmt.Sprintf("ended %s with %s %s against a target of %s",
			label, noun, human(m, cur.Value), human(m, target)))
	case now.Before(p.PaceFrom()):
		return e.set(StateOnTrack, "", fmt.Sprintf("too early to project: %s %s so far against a target of %s, %s of %s elapsed",
			noun, human(m, cur.Value), human(m, target), FormatPercent(e.ExpectedProgress), label))
	}
	return e.judge(target, tol, fmt.Sprintf("%s %s against a target of %s", noun, human(m, cur.Value), human(m, target)))
}

// judge picks OnTrack or AtRisk from e.Projection.
func (e Evaluation) judge(target, tol float64, head string) Evaluation {
	proj := e.Projection.Value
	// How far the projection falls short, in the metric's bad direction.
	short := target - proj
	if e.Metric.LowerIsBetter() {
		short = proj - target
	}
	if target != 0 {
		e.Gap = Known((proj - target) / target)
		head += " (" + signedShare(e.Gap.Value) + ")"
	}
	// short/target > tol/100, without dividing, and with exactly-at-tolerance on the safe side of
	// float noise.
	atRisk := short*100 > tol*target+1e-9*math.Max(1, math.Abs(target)*100)
	switch {
	case atRisk:
		return e.set(StateAtRisk, "", fmt.Sprintf("%s, beyond the %v%% tolerance", head, tol))
	case short > 0:
		return e.set(StateOnTrack, "", fmt.Sprintf("%s, within the %v%% tolerance", head, tol))
	}
	return e.set(StateOnTrack, "", head)
}

func (e Evaluation) set(s State, reason, msg string) Evaluation {
	e.State = s
	if reason == "" {
		reason = string(s)
	}
	e.Reason, e.Status, e.Message = reason, s.ConditionStatus(), msg
	return e
}

// progress is current/target (target/current for lower-is-better metrics), never NaN or ±Inf: a zero
// target is met by any non-negative current, a zero current meets any non-negative lower-is-better
// target, and a negative result is 0.
func progress(m Metric, cur, target float64) float64 {
	num, den := cur, target
	if m.LowerIsBetter() {
		num, den = target, cur
	}
	var r float64
	switch {
	case den > 0:
		r = num / den
	case m.LowerIsBetter() && cur <= target, !m.LowerIsBetter() && cur >= target:
		r = 1
	}
	if !finite(r) {
		r = math.MaxFloat64
	}
	return math.Max(0, r)
}

// Display is an Evaluation formatted for the TeamGoal status fields; unknown values are "".
type Display struct {
	Current          string
	Target           string
	Baseline         string
	Progress         string
	ExpectedProgress string
	Projection       string
}

// Display formats e for the status.
func (e Evaluation) Display() Display {
	f := func(x Measure) string {
		if !x.Valid {
			return ""
		}
		return FormatValue(e.Metric, x.Value)
	}
	d := Display{
		Current:          f(e.Current),
		Target:           f(e.Target),
		Baseline:         f(e.Baseline),
		ExpectedProgress: FormatPercent(e.ExpectedProgress),
		Projection:       f(e.Projection),
	}
	if e.Progress.Valid {
		d.Progress = FormatPercent(e.Progress.Value)
	}
	return d
}

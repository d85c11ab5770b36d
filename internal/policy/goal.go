package policy

import (
	"errors"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/goals"
)

// GoalSpec translates the API's period and target into the pure package's types.
func GoalSpec(goal *leadopsv1.TeamGoal) (goals.PeriodSpec, goals.TargetSpec) {
	ps := goals.PeriodSpec{Quarter: goal.Spec.Period.Quarter, Month: goal.Spec.Period.Month}
	if r := goal.Spec.Period.Range; r != nil {
		ps.Range = &goals.RangeSpec{Start: string(r.Start), End: string(r.End)}
	}
	ts := goals.TargetSpec{Duration: string(goal.Spec.Target.Duration), GrowthPercent: goal.Spec.Target.GrowthPercent}
	if v := goal.Spec.Target.Value; v != nil {
		f := v.AsApproximateFloat64()
		ts.Value = &f
	}
	return ps, ts
}

// GoalSpecError is the spec error of a goal period or target problem, under spec.
func GoalSpecError(err error) *SpecError {
	var se *goals.SpecError
	if errors.As(err, &se) {
		return &SpecError{Reason: leadopsv1.ReasonInvalidSpec, Field: se.Under("spec")}
	}
	return FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec", "%v", err)
}

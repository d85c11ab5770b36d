package controllers

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/store"
)

// goalStore is what the TeamGoal reconciler reads from the lead store: a metric as an indexed
// aggregate, or the leads behind it when the goal has a CEL filter.
type goalStore interface {
	GoalMetric(ctx context.Context, q store.GoalQuery) (value float64, known bool, err error)
	GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error
}

// goalScope is the lead set a goal counts: a Marketing team's goals count every lead (marketing
// generates them all; leads are never routed to marketing), other teams' goals the leads routed to them.
func goalScope(team *leadopsv1.Team) string {
	if team.Spec.Function == leadopsv1.TeamFunctionMarketing {
		return ""
	}
	return team.Namespace + "/" + team.Name
}

// reconcileProgress computes the goal's figures from the store and returns when time alone next
// changes them (zero when it cannot).
func (r *TeamGoalReconciler) reconcileProgress(ctx context.Context, goal *leadopsv1.TeamGoal, team *leadopsv1.Team, filter *celenv.Program) (time.Time, *policy.SpecError, error) {
	loc, err := time.LoadLocation(team.Spec.Timezone)
	if err != nil {
		return time.Time{}, policy.FieldSpecError(leadopsv1.ReasonInvalidTimezone, "spec.teamRef", "Team %q has an unknown timezone %q", team.Name, team.Spec.Timezone), nil
	}
	metric := goals.Metric(goal.Spec.Metric)
	ps, ts := policy.GoalSpec(goal)
	period, err := goals.ResolvePeriod(ps, loc)
	if err != nil {
		return time.Time{}, policy.GoalSpecError(err), nil
	}
	if err := ts.Validate(metric); err != nil {
		return time.Time{}, policy.GoalSpecError(err), nil
	}
	if r.Store == nil {
		return time.Time{}, nil, nil
	}
	now := r.Clock.Now()
	scope := goalScope(team)
	current, err := r.measure(ctx, metric, scope, filter, period.Start, minTime(now, period.End), now)
	if err != nil {
		return time.Time{}, nil, err
	}
	var baseline goals.Measure
	if ts.NeedsBaseline() {
		prev := period.Previous()
		if baseline, err = r.measure(ctx, metric, scope, filter, prev.Start, minTime(now, prev.End), now); err != nil {
			return time.Time{}, nil, err
		}
	}
	res, err := goals.ResolveTarget(metric, ts, baseline)
	if err != nil {
		return time.Time{}, policy.GoalSpecError(err), nil
	}
	tol := int32(goals.DefaultTolerancePercent)
	if t := goal.Spec.AtRiskTolerancePercent; t != nil {
		tol = *t // 0 is a valid choice: any shortfall is at risk
	}
	ev := goals.Evaluate(goals.Inputs{Metric: metric, Period: period, Target: res, Current: current, TolerancePercent: tol, Now: now})

	st := &goal.Status
	d := ev.Display()
	st.Current, st.Target, st.Baseline, st.Progress = d.Current, d.Target, d.Baseline, d.Progress
	st.ExpectedProgress, st.Projection = d.ExpectedProgress, d.Projection
	start, end, computed := metav1.NewTime(period.Start), metav1.NewTime(period.End), metav1.NewTime(now)
	st.PeriodStart, st.PeriodEnd, st.LastComputedTime = &start, &end, &computed
	setCondition(&st.Conditions, goal.Generation, leadopsv1.ConditionOnTrack, metav1.ConditionStatus(ev.Status), ev.Reason, ev.Message)

	labels := []string{goal.Namespace, goal.Name}
	goalProgress.WithLabelValues(labels...).Set(validOr(ev.Progress, 0))
	goalExpected.WithLabelValues(labels...).Set(ev.ExpectedProgress)
	projection := 0.0
	if ev.Projection.Valid && ev.Target.Valid && ev.Target.Value != 0 {
		projection = ev.Projection.Value / ev.Target.Value
	}
	goalProjection.WithLabelValues(labels...).Set(projection)
	atRisk := 0.0
	if ev.State == goals.StateAtRisk {
		atRisk = 1
	}
	goalAtRisk.WithLabelValues(labels...).Set(atRisk)
	return ev.NextEvaluation, nil, nil
}

// measure computes a metric: an indexed aggregate in the store, or, with a CEL filter, the reference
// computation over the leads the store streams back.
func (r *TeamGoalReconciler) measure(ctx context.Context, m goals.Metric, scope string, filter *celenv.Program, start, end, now time.Time) (goals.Measure, error) {
	q := store.GoalQuery{Metric: string(m), Team: scope, Start: start, End: end, Now: now}
	if !end.After(start) {
		return goals.Compute(m, nil, start, end, now), nil
	}
	if filter == nil {
		v, known, err := r.Store.GoalMetric(ctx, q)
		if err != nil {
			return goals.Measure{}, fmt.Errorf("computing %s from the lead store: %w", m, err)
		}
		if !known {
			return goals.Measure{}, nil
		}
		return goals.Known(v), nil
	}
	var matched []*lead.Lead
	err := r.Store.GoalLeads(ctx, q, func(l *lead.Lead) error {
		// An expression error on one lead (a missing attribute) leaves that lead out, like a false.
		if ok, err := filter.Eval(celenv.FromLead(l)); err == nil && ok {
			matched = append(matched, l)
		}
		return nil
	})
	if err != nil {
		return goals.Measure{}, fmt.Errorf("reading the leads of %s from the lead store: %w", m, err)
	}
	return goals.Compute(m, matched, start, end, now), nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func validOr(m goals.Measure, def float64) float64 {
	if m.Valid {
		return m.Value
	}
	return def
}

package store

import (
	"context"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Goals is what TeamGoal and Team status need: a goal metric as an indexed aggregate, the leads
// behind a metric for CEL-filtered goals, and a team's inflow against what it closes out. Metric
// definitions are those of internal/goals (goals.Compute is the reference the backends are tested
// against).
type Goals interface {
	// GoalMetric computes metric (a goals.Metric name) over the leads of team ("namespace/name"; empty
	// means every lead, as a Marketing team's goals count) in [start, end), as of now. Known is false
	// for a rate or median with nothing to measure.
	GoalMetric(ctx context.Context, q GoalQuery) (value float64, known bool, err error)
	// GoalLeads calls fn for every lead of team whose metric timestamp (goals.TimeField, and closed_at
	// too for ConversionRate) lies in [start, end), streaming rather than loading them all.
	GoalLeads(ctx context.Context, q GoalQuery, fn func(*lead.Lead) error) error
	// TeamFlow counts, over [since, until), the leads routed or reassigned to team (in) and the leads
	// of the team first touched (out: every accept or reject follows a touch).
	TeamFlow(ctx context.Context, team string, since, until time.Time) (in, out int64, err error)
}

// GoalQuery selects the leads of one goal metric.
type GoalQuery struct {
	Metric     string
	Team       string
	Start, End time.Time
	Now        time.Time
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// inRange is the period test on a timestamp column, for one team (:team) or for every lead. Each
// is answered by a (team, col) or (col) index of 00002_goal_indexes.sql (or the created_at ones).
func inRange(col string, team bool) string {
	r := col + ` >= :start AND ` + col + ` < :end`
	if team {
		return `team = :team AND ` + r
	}
	return r
}

// handoffBreached is goals.Compute's breached handoff as of :now; every term on a nullable time is
// guarded so that the expression is never NULL.
const handoffBreached = `(breach_count > 0
	OR (stage = 'routed' AND first_touch_due IS NOT NULL AND first_touch_due <= :now)
	OR (stage IN ('routed', 'touched') AND acceptance_due IS NOT NULL AND acceptance_due <= :now))`

// goalSQL is the one aggregate query of metric m. Counts and sums return one column; rates return
// numerator and denominator; the median returns no row when there is nothing to measure.
func goalSQL(m goals.Metric, team bool) string {
	switch m {
	case goals.MetricNewLeads, goals.MetricMQLs, goals.MetricAccepted:
		return `SELECT count(*) FROM leads WHERE ` + inRange(goals.TimeField(m), team)
	case goals.MetricSQLs:
		return `SELECT count(*) FROM leads WHERE ` + inRange("accepted_at", team) + ` AND stage IN ('accepted', 'won')`
	case goals.MetricWonDeals:
		return `SELECT count(*) FROM leads WHERE ` + inRange("closed_at", team) + ` AND stage = 'won'`
	case goals.MetricRevenue:
		return `SELECT total(amount) FROM leads WHERE ` + inRange("closed_at", team) + ` AND stage = 'won'`
	case goals.MetricConversionRate:
		return `SELECT (SELECT count(*) FROM leads WHERE ` + inRange("closed_at", team) + ` AND stage = 'won'),
	(SELECT count(*) FROM leads WHERE ` + inRange("routed_at", team) + `)`
	case goals.MetricSLACompliance:
		return `SELECT coalesce(sum(NOT b AND touched_at IS NOT NULL), 0), coalesce(sum(b), 0)
FROM (SELECT ` + handoffBreached + ` AS b, touched_at FROM leads
	WHERE ` + inRange("qualified_at", team) + ` AND routed_at IS NOT NULL)`
	case goals.MetricTimeToFirstTouch:
		// The lower median: the ((n-1)/2)-th smallest of n, sorted inside SQLite.
		return `WITH d AS (SELECT touched_at - routed_at AS v FROM leads
	WHERE ` + inRange("touched_at", team) + ` AND routed_at IS NOT NULL)
SELECT v FROM d ORDER BY v LIMIT 1 OFFSET (SELECT (count(*) - 1) / 2 FROM d)`
	}
	panic("goal metric without SQL: " + string(m))
}

func goalArgs(q store.GoalQuery) []any {
	return []any{sql.Named("team", q.Team), sql.Named("start", q.Start.UnixMicro()),
		sql.Named("end", q.End.UnixMicro()), sql.Named("now", q.Now.UnixMicro())}
}

// GoalMetric computes a goal metric with one indexed aggregate query.
func (s *Store) GoalMetric(ctx context.Context, q store.GoalQuery) (float64, bool, error) {
	m, err := core.GoalMetric(q)
	if err != nil {
		return 0, false, err
	}
	row := s.r.QueryRowContext(ctx, goalSQL(m, q.Team != ""), goalArgs(q)...)
	var (
		n, num, den int64
		sum         float64
		v, known    = 0.0, true
	)
	switch m {
	case goals.MetricRevenue:
		err = row.Scan(&sum)
		v = sum
	case goals.MetricConversionRate:
		err = row.Scan(&num, &den)
		v, known = core.Rate(num, den)
	case goals.MetricSLACompliance:
		// Compliant handoffs count in both; breached ones in the denominator only.
		err = row.Scan(&num, &den)
		v, known = core.Rate(num, num+den)
	case goals.MetricTimeToFirstTouch:
		err = row.Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		v = core.Seconds(n)
	default:
		err = row.Scan(&n)
		v = float64(n)
	}
	if err != nil {
		return 0, false, fmt.Errorf("goal metric %s: %w", m, err)
	}
	return v, known, nil
}

// GoalLeads streams the leads whose metric timestamp is in the period (routed_at or closed_at for
// ConversionRate). fn runs while the rows are open on a reader connection: it may read and write
// the store, and an error from it stops the iteration and is returned.
func (s *Store) GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error {
	m, err := core.GoalMetric(q)
	if err != nil {
		return err
	}
	team := q.Team != ""
	where := inRange(goals.TimeField(m), team)
	if m == goals.MetricConversionRate {
		where = `(` + inRange("routed_at", team) + `) OR (` + inRange("closed_at", team) + `)`
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE `+where, goalArgs(q)...)
	if err != nil {
		return fmt.Errorf("goal leads %s: %w", m, err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return fmt.Errorf("goal leads %s: %w", m, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("goal leads %s: %w", m, err)
	}
	return nil
}

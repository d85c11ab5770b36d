package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// dueSQL range-scans the two partial deadline indexes (which hold only open handoffs whose breach
// is not recorded), each limited, and reads the union; Go orders it by earliest deadline.
const dueSQL = `SELECT ` + leadColumns + ` FROM leads WHERE id IN (
	(SELECT id FROM leads WHERE stage = 'routed' AND first_touch_breached_at IS NULL
		AND first_touch_due <= $1 ORDER BY first_touch_due LIMIT $2)
	UNION ALL
	(SELECT id FROM leads WHERE stage IN ('routed', 'touched') AND acceptance_breached_at IS NULL
		AND acceptance_due <= $1 ORDER BY acceptance_due LIMIT $2))`

// DueHandoffs returns the leads with an open, unrecorded handoff due at or before t.
func (s *Store) DueHandoffs(ctx context.Context, t time.Time, limit int) ([]*lead.Lead, error) {
	if limit <= 0 {
		return []*lead.Lead{}, nil
	}
	rows, err := s.pool.Query(ctx, dueSQL, t, limit)
	if err != nil {
		return nil, fmt.Errorf("due handoffs: %w", err)
	}
	out, err := scanLeads(rows)
	if err != nil {
		return nil, fmt.Errorf("due handoffs: %w", err)
	}
	return core.SortDue(out, limit), nil
}

const (
	ftOverdue = `(stage = 'routed' AND first_touch_due <= $2)`
	acOverdue = `(acceptance_due <= $2)` // within the open stages of the WHERE clause
)

// slaOpenSQL reads the policy's open handoffs (leads_open_policy_idx) once for every figure.
const slaOpenSQL = `SELECT
	count(*) FILTER (WHERE ` + ftOverdue + `),
	count(*) FILTER (WHERE ` + acOverdue + `),
	least(min(first_touch_due) FILTER (WHERE ` + ftOverdue + `), min(acceptance_due) FILTER (WHERE ` + acOverdue + `)),
	count(*) FILTER (WHERE stage = 'routed' AND first_touch_warn <= $2 AND NOT coalesce(first_touch_due <= $2, false))
	+ count(*) FILTER (WHERE acceptance_warn <= $2 AND NOT coalesce(acceptance_due <= $2, false)),
	least(min(first_touch_warn) FILTER (WHERE stage = 'routed' AND first_touch_warn > $2),
		min(first_touch_due) FILTER (WHERE stage = 'routed' AND first_touch_due > $2),
		min(acceptance_warn) FILTER (WHERE acceptance_warn > $2),
		min(acceptance_due) FILTER (WHERE acceptance_due > $2))
FROM leads WHERE policy = $1 AND stage IN ('routed', 'touched')`

// slaWindowSQL reads the policy's leads for compliance.
const slaWindowSQL = `SELECT
	count(*) FILTER (WHERE w AND NOT b AND touched_at IS NOT NULL AND (acceptance_due IS NULL
		OR acceptance_due > $2 OR accepted_at IS NOT NULL OR rejected_at IS NOT NULL)),
	count(*) FILTER (WHERE w AND b)
FROM (SELECT *, coalesce(qualified_at >= $3 AND routed_at IS NOT NULL, false) AS w,
	(breach_count > 0 OR coalesce(stage = 'routed' AND first_touch_due <= $2, false)
		OR coalesce(stage IN ('routed', 'touched') AND acceptance_due <= $2, false)) AS b
	FROM leads WHERE policy = $1) l`

// slaBreachSQL reads the recent breaches and the newest one from leads_policy_last_breach_idx: a
// range scan of the window and a single-row max, however many breaches the policy has had. One
// statement, so the count and the newest breach are read from the same snapshot.
const slaBreachSQL = `SELECT
	(SELECT count(*) FROM leads WHERE policy = $1 AND last_breach_at >= $2),
	(SELECT max(last_breach_at) FROM leads WHERE policy = $1 AND last_breach_at IS NOT NULL)`

// slaMedianSQL is the median of touched_at - routed_at in microseconds, computed by PostgreSQL.
const slaMedianSQL = `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY
	extract(epoch FROM touched_at - routed_at) * 1000000)
FROM leads WHERE policy = $1 AND touched_at >= $2 AND routed_at IS NOT NULL`

// SLAStats computes a policy's SLA figures as q asks.
func (s *Store) SLAStats(ctx context.Context, policy string, q store.SLAQuery) (store.SLAStats, error) {
	var (
		st     store.SLAStats
		median *float64
	)
	if err := s.pool.QueryRow(ctx, slaOpenSQL, policy, q.Now).Scan(&st.FirstTouchOverdue, &st.AcceptanceOverdue,
		&st.OldestOverdueDue, &st.AtRisk, &st.NextEvent); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	if err := s.pool.QueryRow(ctx, slaWindowSQL, policy, q.Now, q.Since).Scan(&st.Compliant, &st.Breached); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	if err := s.pool.QueryRow(ctx, slaBreachSQL, policy, q.BreachedSince).Scan(&st.RecentlyBreached, &st.LastBreachTime); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	if err := s.pool.QueryRow(ctx, slaMedianSQL, policy, q.Since).Scan(&median); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	st.OldestOverdueDue, st.NextEvent, st.LastBreachTime = utc(st.OldestOverdueDue), utc(st.NextEvent), utc(st.LastBreachTime)
	if median != nil {
		d := core.MedianMicros(*median)
		st.MedianTimeToFirstTouch = &d
	}
	return st, nil
}

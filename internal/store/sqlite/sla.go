package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// dueSQL range-scans the two deadline indexes (their predicates repeated verbatim, so SQLite uses
// them), each limited, and reads the union; Go orders it by earliest deadline.
const dueSQL = `SELECT ` + leadColumns + ` FROM leads WHERE id IN (
	SELECT id FROM (SELECT id FROM leads INDEXED BY leads_first_touch_due_idx
		WHERE stage = 'routed' AND first_touch_breached_at IS NULL AND first_touch_due IS NOT NULL
		AND first_touch_due <= ?1 ORDER BY first_touch_due LIMIT ?2)
	UNION
	SELECT id FROM (SELECT id FROM leads INDEXED BY leads_acceptance_due_idx
		WHERE stage IN ('routed', 'touched') AND acceptance_breached_at IS NULL AND acceptance_due IS NOT NULL
		AND acceptance_due <= ?1 ORDER BY acceptance_due LIMIT ?2))`

// DueHandoffs returns the leads with an open, unrecorded handoff due at or before t.
func (s *Store) DueHandoffs(ctx context.Context, t time.Time, limit int) ([]*lead.Lead, error) {
	if limit <= 0 {
		return []*lead.Lead{}, nil
	}
	rows, err := s.r.QueryContext(ctx, dueSQL, t.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("due handoffs: %w", err)
	}
	out, err := scanLeads(rows)
	if err != nil {
		return nil, fmt.Errorf("due handoffs: %w", err)
	}
	return core.SortDue(out, limit), nil
}

// Every comparison on a nullable time is written "x IS NOT NULL AND x <= now" so that no term is
// NULL (NOT NULL would be NULL and drop a row from both sums).
const (
	ftOpen    = `stage = 'routed'`
	accOpen   = `stage IN ('routed', 'touched')`
	ftOverdue = `(` + ftOpen + ` AND first_touch_due IS NOT NULL AND first_touch_due <= :now)`
	acOverdue = `(` + accOpen + ` AND acceptance_due IS NOT NULL AND acceptance_due <= :now)`
	breached  = `(breach_count > 0 OR ` + ftOverdue + ` OR ` + acOverdue + `)`
)

// slaOpenSQL reads the policy's open handoffs (leads_open_policy_idx).
const slaOpenSQL = `SELECT
	coalesce(sum(` + ftOverdue + `), 0),
	coalesce(sum(` + acOverdue + `), 0),
	min(CASE WHEN ` + ftOverdue + ` THEN first_touch_due END),
	min(CASE WHEN ` + acOverdue + ` THEN acceptance_due END),
	coalesce(sum(stage = 'routed' AND first_touch_warn IS NOT NULL AND first_touch_warn <= :now
		AND NOT (first_touch_due IS NOT NULL AND first_touch_due <= :now)), 0)
	+ coalesce(sum(acceptance_warn IS NOT NULL AND acceptance_warn <= :now
		AND NOT (acceptance_due IS NOT NULL AND acceptance_due <= :now)), 0),
	min(CASE WHEN stage = 'routed' AND first_touch_warn > :now THEN first_touch_warn END),
	min(CASE WHEN stage = 'routed' AND first_touch_due > :now THEN first_touch_due END),
	min(CASE WHEN acceptance_warn > :now THEN acceptance_warn END),
	min(CASE WHEN acceptance_due > :now THEN acceptance_due END)
FROM leads INDEXED BY leads_open_policy_idx WHERE policy = :policy AND stage IN ('routed', 'touched')`

// slaWindowSQL reads the policy's leads for compliance.
const slaWindowSQL = `SELECT
	coalesce(sum(w AND NOT ` + breached + ` AND touched_at IS NOT NULL AND (acceptance_due IS NULL
		OR acceptance_due > :now OR accepted_at IS NOT NULL OR rejected_at IS NOT NULL)), 0),
	coalesce(sum(w AND ` + breached + `), 0)
FROM (SELECT *, (qualified_at IS NOT NULL AND qualified_at >= :since AND routed_at IS NOT NULL) AS w
	FROM leads WHERE policy = :policy)`

// slaBreachSQL reads the recent breaches and the newest one from leads_policy_last_breach_idx: a
// range scan of the window and a single-row max, however many breaches the policy has had. One
// statement, so the count and the newest breach are read from the same snapshot.
const slaBreachSQL = `SELECT
	(SELECT count(*) FROM leads INDEXED BY leads_policy_last_breach_idx
		WHERE policy = :policy AND last_breach_at IS NOT NULL AND last_breach_at >= :breached),
	(SELECT max(last_breach_at) FROM leads INDEXED BY leads_policy_last_breach_idx
		WHERE policy = :policy AND last_breach_at IS NOT NULL)`

// slaMedianSQL is the median of touched_at - routed_at: the middle row (odd count) or the mean of
// the two middle rows (even count), found by ORDER BY … LIMIT/OFFSET inside SQLite.
const slaMedianSQL = `WITH d AS (SELECT touched_at - routed_at AS v FROM leads
	WHERE policy = :policy AND touched_at IS NOT NULL AND touched_at >= :since AND routed_at IS NOT NULL),
n AS (SELECT count(*) AS c FROM d)
SELECT avg(v) FROM (SELECT v FROM d ORDER BY v LIMIT 2 - (SELECT c FROM n) % 2 OFFSET ((SELECT c FROM n) - 1) / 2)`

// SLAStats computes a policy's SLA figures as q asks.
func (s *Store) SLAStats(ctx context.Context, policy string, q store.SLAQuery) (store.SLAStats, error) {
	var (
		st                   store.SLAStats
		oldFT, oldAc         sql.NullInt64
		nFTW, nFTD, nAW, nAD sql.NullInt64
		lastBreach           sql.NullInt64
		median               sql.NullFloat64
	)
	args := []any{sql.Named("now", q.Now.UnixMicro()), sql.Named("since", q.Since.UnixMicro()),
		sql.Named("breached", q.BreachedSince.UnixMicro()), sql.Named("policy", policy)}
	if err := s.r.QueryRowContext(ctx, slaOpenSQL, args...).Scan(&st.FirstTouchOverdue, &st.AcceptanceOverdue,
		&oldFT, &oldAc, &st.AtRisk, &nFTW, &nFTD, &nAW, &nAD); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, slaWindowSQL, args...).Scan(&st.Compliant, &st.Breached); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, slaBreachSQL, args...).Scan(&st.RecentlyBreached, &lastBreach); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, slaMedianSQL, args...).Scan(&median); err != nil {
		return st, fmt.Errorf("sla stats: %w", err)
	}
	st.OldestOverdueDue = earliest(oldFT, oldAc)
	st.NextEvent = earliest(nFTW, nFTD, nAW, nAD)
	st.LastBreachTime = ptime(lastBreach)
	if median.Valid {
		d := core.MedianMicros(median.Float64)
		st.MedianTimeToFirstTouch = &d
	}
	return st, nil
}

func earliest(vs ...sql.NullInt64) *time.Time {
	var best sql.NullInt64
	for _, v := range vs {
		if v.Valid && (!best.Valid || v.Int64 < best.Int64) {
			best = v
		}
	}
	return ptime(best)
}

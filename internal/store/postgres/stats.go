package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/store"
)

// PolicyStats counts a policy's leads in one query.
func (s *Store) PolicyStats(ctx context.Context, policy string) (store.PolicyStats, error) {
	var st store.PolicyStats
	err := s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE routed_at IS NOT NULL),
		count(*) FILTER (WHERE stage IN ('routed', 'touched')),
		count(*) FILTER (WHERE stage = 'qualified' AND owner = ''),
		count(*) FILTER (WHERE stage = 'disqualified'),
		max(routed_at)
		FROM leads WHERE policy = $1`, policy).Scan(&st.Routed, &st.Open, &st.Queued, &st.Disqualified, &st.LastRoutedTime)
	if err != nil {
		return st, fmt.Errorf("policy stats: %w", err)
	}
	st.LastRoutedTime = utc(st.LastRoutedTime)
	return st, nil
}

// TeamStats counts a team's open and queued leads in one query.
func (s *Store) TeamStats(ctx context.Context, team string) (store.TeamStats, error) {
	var st store.TeamStats
	err := s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE stage IN ('routed', 'touched')),
		count(*) FILTER (WHERE stage = 'qualified' AND owner = '')
		FROM leads WHERE team = $1 AND stage IN ('routed', 'touched', 'qualified')`, team).Scan(&st.Open, &st.Queued)
	if err != nil {
		return st, fmt.Errorf("team stats: %w", err)
	}
	return st, nil
}

// TeamFlow counts the team's leads routed (in) and first touched (out) in [since, until), in one
// query over the (team, routed_at) and (team, touched_at) indexes. routed_at restarts on a
// reassignment, so a reassigned lead counts for its new team. An empty team counts every lead.
func (s *Store) TeamFlow(ctx context.Context, team string, since, until time.Time) (in, out int64, err error) {
	t := team != ""
	err = s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM leads WHERE `+inRange("routed_at", t)+`),
	(SELECT count(*) FROM leads WHERE `+inRange("touched_at", t)+`)`,
		pgx.NamedArgs{"team": team, "start": since, "end": until}).Scan(&in, &out)
	if err != nil {
		return 0, 0, fmt.Errorf("team flow: %w", err)
	}
	return in, out, nil
}

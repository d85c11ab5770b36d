package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/store"
)

// PolicyStats counts a policy's leads in one pass over its index range.
func (s *Store) PolicyStats(ctx context.Context, policy string) (store.PolicyStats, error) {
	var (
		st   store.PolicyStats
		last sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, `SELECT
		coalesce(sum(routed_at IS NOT NULL), 0),
		coalesce(sum(stage IN ('routed', 'touched')), 0),
		coalesce(sum(stage = 'qualified' AND owner = ''), 0),
		coalesce(sum(stage = 'disqualified'), 0),
		max(routed_at)
		FROM leads WHERE policy = ?`, policy).Scan(&st.Routed, &st.Open, &st.Queued, &st.Disqualified, &last)
	if err != nil {
		return st, fmt.Errorf("policy stats: %w", err)
	}
	st.LastRoutedTime = ptime(last)
	return st, nil
}

// TeamStats counts a team's open and queued leads.
func (s *Store) TeamStats(ctx context.Context, team string) (store.TeamStats, error) {
	var st store.TeamStats
	err := s.r.QueryRowContext(ctx, `SELECT
		coalesce(sum(stage IN ('routed', 'touched')), 0),
		coalesce(sum(stage = 'qualified' AND owner = ''), 0)
		FROM leads WHERE team = ? AND stage IN ('routed', 'touched', 'qualified')`, team).Scan(&st.Open, &st.Queued)
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
	err = s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM leads WHERE `+inRange("routed_at", t)+`),
	(SELECT count(*) FROM leads WHERE `+inRange("touched_at", t)+`)`,
		sql.Named("team", team), sql.Named("start", since.UnixMicro()), sql.Named("end", until.UnixMicro())).Scan(&in, &out)
	if err != nil {
		return 0, 0, fmt.Errorf("team flow: %w", err)
	}
	return in, out, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// LeadsOpenAt streams the leads open at t: the open ones routed by then (leads_open_owner_idx) and
// those accepted after t that were routed by then (leads_goal_accepted_idx).
func (s *Store) LeadsOpenAt(ctx context.Context, t time.Time, fn func(*lead.Lead) error) error {
	at := t.UnixMicro()
	rows, err := s.r.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads INDEXED BY leads_open_owner_idx
		WHERE stage IN ('routed', 'touched') AND owner <> '' AND routed_at <= ?
	UNION ALL
	SELECT `+leadColumns+` FROM leads INDEXED BY leads_goal_accepted_idx
		WHERE accepted_at IS NOT NULL AND accepted_at > ? AND stage NOT IN ('routed', 'touched')
		AND owner <> '' AND routed_at <= ?`, at, at, at)
	if err != nil {
		return fmt.Errorf("leads open at %s: %w", t.Format(time.RFC3339), err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return fmt.Errorf("leads open at %s: %w", t.Format(time.RFC3339), err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("leads open at %s: %w", t.Format(time.RFC3339), err)
	}
	return nil
}

// RuleHistoryAt is RuleHistory over the leads the rule routed before t (leads_rule_idx).
func (s *Store) RuleHistoryAt(ctx context.Context, policy, rule string, t time.Time) (string, map[string]int64, error) {
	at := t.UnixMicro()
	var last string
	err := s.r.QueryRowContext(ctx, `SELECT owner FROM leads INDEXED BY leads_rule_idx
		WHERE policy = ? AND rule = ? AND routed_at IS NOT NULL AND routed_at < ? ORDER BY routed_at DESC, id DESC LIMIT 1`,
		policy, rule, at).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT owner, count(*) FROM leads INDEXED BY leads_rule_idx
		WHERE policy = ? AND rule = ? AND routed_at < ? AND owner <> '' GROUP BY owner`, policy, rule, at)
	if err != nil {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var (
			owner string
			n     int64
		)
		if err := rows.Scan(&owner, &n); err != nil {
			return "", nil, fmt.Errorf("rule history: %w", err)
		}
		counts[owner] = n
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	return last, counts, nil
}

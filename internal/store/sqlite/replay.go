package sqlite

import (
	"context"
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
	return s.ruleHistory(ctx, policy, rule, &at)
}

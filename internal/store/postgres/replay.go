package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// LeadsOpenAt streams the leads open at t: the open ones routed by then (leads_open_owner_idx) and
// those accepted after t that were routed by then (leads_goal_accepted_idx).
func (s *Store) LeadsOpenAt(ctx context.Context, t time.Time, fn func(*lead.Lead) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads
		WHERE stage IN ('routed', 'touched') AND owner <> '' AND routed_at <= $1
	UNION ALL
	SELECT `+leadColumns+` FROM leads
		WHERE accepted_at > $1 AND stage NOT IN ('routed', 'touched') AND owner <> '' AND routed_at <= $1`, t)
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

// RuleHistoryAt is RuleHistory over the leads the rule routed before t (leads_rule_idx), in one round
// trip.
func (s *Store) RuleHistoryAt(ctx context.Context, policy, rule string, t time.Time) (string, map[string]int64, error) {
	return s.ruleHistory(ctx, policy, rule, &t)
}

package postgres

import (
	"context"
	"fmt"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// DataQuality counts, per source, the leads created since q.Since (and before q.Until when set; of q.Policy when set) and the
// ones missing each field: a range scan of leads_created_idx or leads_policy_idx.
func (s *Store) DataQuality(ctx context.Context, q store.DataQualityQuery) ([]store.SourceQuality, error) {
	where, args := `created_at >= $1`, []any{q.Since}
	if q.Policy != "" {
		where, args = `policy = $1 AND created_at >= $2`, []any{q.Policy, q.Since}
	}
	if !q.Until.IsZero() {
		args = append(args, q.Until)
		where += fmt.Sprintf(` AND created_at < $%d`, len(args))
	}
	rows, err := s.pool.Query(ctx, core.DataQualitySelect+` FROM leads WHERE `+where+core.DataQualityGroup, args...)
	if err != nil {
		return nil, fmt.Errorf("data quality: %w", err)
	}
	defer rows.Close()
	out, err := core.ScanSourceQuality(rows)
	if err != nil {
		return nil, fmt.Errorf("data quality: %w", err)
	}
	return out, nil
}

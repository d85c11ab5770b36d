package postgres

import (
	"context"
	"fmt"

	"github.com/leadops/leadops/internal/store"
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
	rows, err := s.pool.Query(ctx, `SELECT source, count(*),
			sum(CASE WHEN email = '' THEN 1 ELSE 0 END), sum(CASE WHEN company = '' THEN 1 ELSE 0 END),
			sum(CASE WHEN country = '' THEN 1 ELSE 0 END), sum(CASE WHEN employees = 0 THEN 1 ELSE 0 END),
			sum(CASE WHEN duplicate_of <> '' THEN 1 ELSE 0 END)
		FROM leads WHERE `+where+` GROUP BY source ORDER BY count(*) DESC, source`, args...)
	if err != nil {
		return nil, fmt.Errorf("data quality: %w", err)
	}
	defer rows.Close()
	var out []store.SourceQuality
	for rows.Next() {
		var (
			sq                      store.SourceQuality
			email, co, ctry, emp, d int64
		)
		if err := rows.Scan(&sq.Source, &sq.Leads, &email, &co, &ctry, &emp, &d); err != nil {
			return nil, fmt.Errorf("data quality: %w", err)
		}
		sq.Missing = map[string]int64{store.FieldEmail: email, store.FieldCompany: co, store.FieldCountry: ctry,
			store.FieldEmployees: emp, store.FieldDuplicates: d}
		out = append(out, sq)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("data quality: %w", err)
	}
	return out, nil
}

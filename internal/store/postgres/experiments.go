package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/lead"
)

// ExperimentLeads streams the leads the router assigned to an experiment's arms, by arm then
// creation (leads_experiment_idx).
func (s *Store) ExperimentLeads(ctx context.Context, experiment string, fn func(*lead.Lead) error) error {
	if experiment == "" {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads
		WHERE experiment <> '' AND experiment = $1 ORDER BY arm, created_at, id`, experiment)
	if err != nil {
		return fmt.Errorf("leads of experiment %s: %w", experiment, err)
	}
	return streamLeads(rows, fn, "leads of experiment "+experiment)
}

// LeadsCreatedBetween streams the leads created in [start, end), oldest first (leads_created_idx).
func (s *Store) LeadsCreatedBetween(ctx context.Context, start, end time.Time, fn func(*lead.Lead) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads
		WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, start, end)
	what := fmt.Sprintf("leads created in [%s, %s)", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return streamLeads(rows, fn, what)
}

// streamLeads scans rows and calls fn for each lead, closing rows.
func streamLeads(rows pgx.Rows, fn func(*lead.Lead) error, what string) error {
	defer rows.Close()
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

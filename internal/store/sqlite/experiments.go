package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// ExperimentLeads streams the leads the router assigned to an experiment's arms, by arm then
// creation (leads_experiment_idx: the query repeats the partial index's WHERE, which is how SQLite
// matches a partial index).
func (s *Store) ExperimentLeads(ctx context.Context, experiment string, fn func(*lead.Lead) error) error {
	if experiment == "" {
		return nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads INDEXED BY leads_experiment_idx
		WHERE experiment <> '' AND experiment = ? ORDER BY arm, created_at, id`, experiment)
	if err != nil {
		return fmt.Errorf("leads of experiment %s: %w", experiment, err)
	}
	return streamLeads(rows, fn, "leads of experiment "+experiment)
}

// LeadsCreatedBetween streams the leads created in [start, end), oldest first (leads_created_idx).
func (s *Store) LeadsCreatedBetween(ctx context.Context, start, end time.Time, fn func(*lead.Lead) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads INDEXED BY leads_created_idx
		WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`, start.UnixMicro(), end.UnixMicro())
	what := fmt.Sprintf("leads created in [%s, %s)", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return streamLeads(rows, fn, what)
}

type leadRows interface {
	scanner
	Next() bool
	Err() error
	Close() error
}

// streamLeads scans rows and calls fn for each lead, closing rows.
func streamLeads(rows leadRows, fn func(*lead.Lead) error, what string) error {
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

package postgres

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadops/leadops/internal/store"
)

// openReadOnly connects for reading only (store.Options.ReadOnly): no migration, and every session
// starts with default_transaction_read_only on, so each statement runs in a READ ONLY transaction
// and PostgreSQL refuses any write ("cannot execute … in a read-only transaction").
func openReadOnly(ctx context.Context, cfg *pgxpool.Config, opts store.Options) (*Store, error) {
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store read-only: %w", err)
	}
	s := &Store{pool: pool, opts: opts}
	if err := s.checkSchema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// checkSchema makes sure a store opened read-only is migrated as far as this binary needs: it cannot
// migrate it itself.
func (s *Store) checkSchema(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var version int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&version); err != nil {
		return fmt.Errorf("open postgres store read-only: the database holds no lead store (%w)", err)
	}
	if version < len(files) {
		return fmt.Errorf("open postgres store read-only: the schema is at version %d, this binary needs %d: "+
			"start the manager (or leadctl with a read-write --store) once to migrate it", version, len(files))
	}
	return s.Ping(ctx)
}

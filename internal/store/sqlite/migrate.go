package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
)

const migrateTimeout = 2 * time.Minute

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies pending migrations. goose has no session locker for SQLite, and two processes
// starting on a fresh file would both see version 0 and both run 00001; an exclusive flock on a file
// beside the database serializes them (the second then finds nothing to do).
func migrate(ctx context.Context, path string) error {
	// Bound the wait for a peer's migration: a stuck peer must not hang Open forever.
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	unlock, err := lockFile(ctx, path+".migrate.lock")
	if err != nil {
		return fmt.Errorf("migrate sqlite store: %w", err)
	}
	defer unlock()

	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return fmt.Errorf("migrate sqlite store: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate sqlite store: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite store: %w", err)
	}
	return nil
}

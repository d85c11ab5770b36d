package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/leadops/leadops/internal/store"
)

// openReadOnly opens an existing, migrated file for reading only (store.Options.ReadOnly): no
// migration, and every connection is a SQLite URI with mode=ro and query_only, so the library
// itself refuses any write ("attempt to write a readonly database"). The writer pool is a
// read-only pool too, so the write methods fail instead of writing.
func openReadOnly(ctx context.Context, path string, opts store.Options) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open sqlite store read-only: %w", err)
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store read-only: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	s := &Store{w: db, r: db, opts: opts, hub: hubFor(path)}
	if err := s.checkSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// readOnlyDSN is a SQLite URI (file:…): only in that form does SQLite read the mode parameter.
func readOnlyDSN(path string) string {
	u := url.URL{Scheme: "file", Opaque: strings.ReplaceAll(path, "%", "%25")}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_query_only", "1")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	u.RawQuery = q.Encode()
	return u.String()
}

// checkSchema makes sure a store opened read-only is migrated as far as this binary needs: it cannot
// migrate it itself.
func (s *Store) checkSchema(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var version int
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&version); err != nil {
		return fmt.Errorf("open sqlite store read-only: the file holds no lead store (%w)", err)
	}
	if version < len(files) {
		return fmt.Errorf("open sqlite store read-only: the schema is at version %d, this binary needs %d: "+
			"start the manager (or leadctl with a read-write --store) once to migrate it", version, len(files))
	}
	return s.Ping(ctx)
}

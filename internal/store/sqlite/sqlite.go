// Package sqlite is the embedded lead store: one SQLite file, pure Go (modernc.org/sqlite, no cgo),
// the zero-setup default. Writes go through one connection (SQLite has one writer at a time anyway,
// so queueing in database/sql beats spinning on SQLITE_BUSY); reads use a pool of WAL readers that
// never block the writer. Other processes on the same file are serialized by the busy timeout.
//
// Subscribe is served by an in-process notifier: it sees the changes made through this *Store (and
// other *Store values of this process opened on the same file), not those of other processes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"

	sqlitedrv "modernc.org/sqlite" // also registers the "sqlite" database/sql driver

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/changefeed"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// busyTimeoutMillis is how long a connection waits for another process's write lock.
const busyTimeoutMillis = 10000

// Store implements store.Backend on a SQLite file.
type Store struct {
	w    *sql.DB // one connection, BEGIN IMMEDIATE: all writes
	r    *sql.DB // readers
	opts store.Options
	hub  *changefeed.Hub
	once sync.Once
	// epoch is the feed epoch (store_meta), read on first use.
	epoch core.Epoch
}

var _ store.Backend = (*Store)(nil)

// Open opens (creating if needed) the database file at path and applies pending migrations.
func Open(ctx context.Context, path string, opts store.Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite store: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, errors.New("open sqlite store: path must not contain '?' or '#'")
	}
	if opts.ReadOnly {
		return openReadOnly(ctx, path, opts)
	}
	if err := migrate(ctx, path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{w: w, r: r, opts: opts, hub: hubFor(path)}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds the modernc DSN. WAL lets readers run beside the writer; _txlock=immediate takes the
// write lock at BEGIN, so a read-modify-write transaction can never fail half way with SQLITE_BUSY
// on lock upgrade (and never loses an update); foreign keys guard audit rows.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	return path + "?" + q.Encode()
}

// Ping checks that the file is readable and migrated.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM leads LIMIT 1)`).Scan(&n); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}

// Close closes both pools. Subscriptions end with their contexts.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() { err = errors.Join(s.w.Close(), s.r.Close()) })
	return err
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single writer connection).
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func init() { store.RegisterOutageClassifier(classifyOutage) }

// classifyOutage recognizes SQLite's full, read-only, I/O and busy results as outages.
func classifyOutage(err error) store.Outage {
	var e *sqlitedrv.Error
	if errors.As(err, &e) {
		return store.ClassifySQLiteCode(e.Code())
	}
	return store.NoOutage
}

// Package postgres is the production lead store on PostgreSQL (pgx v5, pgxpool). Row locks
// (SELECT … FOR UPDATE) serialize read-check-write transactions on one lead; upserts rely on
// INSERT … ON CONFLICT; every write sends its NOTIFY inside its own transaction, so subscribers hear
// of exactly the committed changes.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/changefeed"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// Store implements store.Backend on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	opts store.Options
	hub  changefeed.Hub
	// epoch is the feed epoch (store_meta), read on first use.
	epoch core.Epoch

	listenOnce sync.Once
	listener   *listener
	closeOnce  sync.Once
}

var _ store.Backend = (*Store)(nil)

// Open connects, applies pending migrations (under an advisory lock, so concurrent starts are safe)
// and returns the store. The DSN is a libpq URL or keyword/value string.
func Open(ctx context.Context, dsn string, opts store.Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx errors can echo the DSN, password included: keep only the fact.
		return nil, errors.New("open postgres store: malformed DSN")
	}
	boundWaits(cfg)
	if opts.ReadOnly {
		return openReadOnly(ctx, cfg, opts)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := alignFeedXact(ctx, pool, opts.Log()); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, opts: opts}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// defaultConnectTimeout bounds a connection attempt when the DSN sets no connect_timeout: without
// it, a server that vanished from the network (no RST, packets dropped) holds a request, the router
// and the LISTEN reconnect loop for the kernel's TCP timeout (minutes), instead of failing fast
// with an error the API turns into a 503.
const defaultConnectTimeout = 5 * time.Second

// boundWaits applies the timeouts the DSN left unset.
func boundWaits(cfg *pgxpool.Config) {
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	// A pooled connection the server dropped (restart, failover) is found by the health check
	// instead of by the next request's query.
	if cfg.HealthCheckPeriod > 5*time.Second {
		cfg.HealthCheckPeriod = 5 * time.Second
	}
}

// batchTx begins the transactions whose statements pass arrays of leads (batch upserts, routing
// commits, erasure): their statements plan each execution for its own arrays. PostgreSQL's default
// switches a connection to a generic plan after five executions of a prepared statement, costed on
// the table's size at that moment, and keeps it until the table is next analyzed: a store that
// started empty then matched every row of a grown leads table against the whole id array, and a
// burst stalled routing for tens of seconds (TestGenericPlanOnGrownTable). Planning costs
// microseconds against a batch's milliseconds; single-lead statements keep the plan cache. The
// setting travels with BEGIN, in the same round trip.
var batchTx = pgx.TxOptions{BeginQuery: `BEGIN; SET LOCAL plan_cache_mode = force_custom_plan`}

// Ping checks that the database is reachable and migrated.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `SELECT 1 FROM leads LIMIT 1`); err != nil {
		return fmt.Errorf("ping postgres store: %w", err)
	}
	return nil
}

// Close stops the notifier and closes the pool.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.listener != nil {
			s.listener.stop()
		}
		s.pool.Close()
	})
	return nil
}

func init() { store.RegisterOutageClassifier(classifyOutage) }

// classifyOutage recognizes the server's shutdown, connection and resource errors as outages.
func classifyOutage(err error) store.Outage {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return store.ClassifySQLState(e.Code)
	}
	return store.NoOutage
}

package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store/storetest"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// TestGenericPlanOnGrownTable is a store that starts empty and takes a burst: a connection commits a
// few small routing batches while the leads table is tiny, the table then grows to 100,000 leads
// before anything analyzes it, and the next commit of 1,000 decisions must still take milliseconds.
// With PostgreSQL's default plan cache, the warm-up's executions left the connection a generic plan
// costed on the tiny table (a sequential scan matching each row against the whole id array), and
// the big commit took tens of seconds; routing stalled after bursts into a fresh store.
func TestGenericPlanOnGrownTable(t *testing.T) {
	s := openOneConnection(t, "leads")
	ctx := context.Background()
	due := func(int) time.Time { return time.Now().Add(time.Hour) }
	for k := range 8 {
		ds := storetest.BenchDecisions(t, s, fmt.Sprintf("warm-%d", k), 10, due)
		if _, _, err := s.CommitDecisions(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO leads (id, external_id, stage, created_at, updated_at, version)
		SELECT gen_random_uuid(), 'bulk-' || g, 'new', now(), now(), 1 FROM generate_series(1, 100000) g`); err != nil {
		t.Fatal(err)
	}
	ds := storetest.BenchDecisions(t, s, "burst", 1000, due)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	applied, _, err := s.CommitDecisions(cctx, ds)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("committing 1,000 decisions into a grown, unanalyzed table: %v after %s", err, took.Round(time.Millisecond))
	}
	if len(applied) != len(ds) {
		t.Fatalf("%d of %d decisions applied", len(applied), len(ds))
	}
	t.Logf("1,000 decisions committed in %s with 100,000 leads in the table", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("committing 1,000 decisions took %s, want well under 2 s", took)
	}
}

// openOneConnection opens a store on a fresh database with one pooled connection, so that every
// statement shares its plan cache, and with autovacuum off on tables (nothing may analyze them behind
// the test's back: that would replan and hide the fault).
func openOneConnection(t *testing.T, tables ...string) *Store {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s, err := Open(context.Background(), dsn+sep+"pool_max_conns=1", storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, table := range tables {
		if _, err := s.pool.Exec(context.Background(), `ALTER TABLE `+table+` SET (autovacuum_enabled = false)`); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

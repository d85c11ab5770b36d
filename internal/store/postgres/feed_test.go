package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
	"github.com/leadops/leadops/internal/store/storetest"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// insertAuditRow appends one audit row in tx the way the store does (the column defaults give it
// its id and xact_id) and returns its id.
func insertAuditRow(t *testing.T, ctx context.Context, tx pgx.Tx, typ string) int64 {
	t.Helper()
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO audit_events (lead_id, at, actor, type) VALUES ($1, now(), 'feedtest', $2) RETURNING id`,
		core.NewID(), typ).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func feedIDs(p store.FeedPage) []int64 {
	ids := []int64{}
	for _, ev := range p.Events {
		ids = append(ids, ev.ID)
	}
	return ids
}

// TestFeedWaitsForInFlightTransaction: transaction A takes audit id n and stays open while B takes
// n+1 and commits. Ordered by id, a reader would serve n+1 and move past n before A commits; the
// feed serves neither, then both, in order, once A commits. And when B's transaction is the older one
// (its xid below A's) B's row may be served first, and A's still follows: never skipped.
func TestFeedWaitsForInFlightTransaction(t *testing.T) {
	s := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mustUpsertFeed(t, s, "before")
	start, err := s.EventsAfter(ctx, store.FeedQuery{})
	if err != nil || len(start.Events) != 1 {
		t.Fatalf("first page: %v %v", start.Events, err)
	}

	for _, bOlder := range []bool{false, true} {
		t.Run(fmt.Sprintf("B's transaction older=%v", bOlder), func(t *testing.T) {
			txB, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer txB.Rollback(ctx)
			if bOlder { // B takes its transaction id before A does
				if _, err := txB.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
					t.Fatal(err)
				}
			}
			txA, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer txA.Rollback(ctx)
			n := insertAuditRow(t, ctx, txA, "routed")
			n1 := insertAuditRow(t, ctx, txB, "routed")
			if n1 != n+1 {
				t.Fatalf("ids %d, %d: want consecutive", n, n1)
			}
			if err := txB.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			// A committed xact_id above the xmin an open transaction holds back is ordinary: no
			// realignment (that is for a restore into another cluster only).
			if behind, err := feedXactBehind(ctx, s.pool); err != nil || behind {
				t.Fatalf("feedXactBehind with a transaction open: %v, %v; want false", behind, err)
			}
			p, err := s.EventsAfter(ctx, store.FeedQuery{After: start.Next})
			if err != nil {
				t.Fatal(err)
			}
			got := feedIDs(p)
			if slices.Contains(got, n) {
				t.Fatalf("served %d of a transaction still open", n)
			}
			if !bOlder && len(got) != 0 {
				t.Fatalf("served %v while the transaction holding the smaller id %d is open", got, n)
			}
			if err := txA.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			rest, err := s.EventsAfter(ctx, store.FeedQuery{After: p.Next})
			if err != nil {
				t.Fatal(err)
			}
			all := append(got, feedIDs(rest)...)
			want := []int64{n, n1}
			if bOlder {
				want = []int64{n1, n} // transaction order: B's xid is the smaller
			}
			if !slices.Equal(all, want) {
				t.Fatalf("served %v then %v, want %v in all", got, feedIDs(rest), want)
			}
			start = rest
		})
	}
}

func mustUpsertFeed(t *testing.T, s *Store, ext string) {
	t.Helper()
	if _, _, err := s.UpsertLead(context.Background(), store.LeadInput{ExternalID: ext}, "feedtest"); err != nil {
		t.Fatal(err)
	}
}

// TestFeedPropertyConcurrentWriters: eight writers insert audit rows in transactions that stay open
// for random short times (some roll back), plus leads through the public API, while a reader follows
// the feed in pages of random size. Ids commit out of order all the time; the reader must end with
// every committed row exactly once and none of the rolled-back ones. The transaction counter is first
// moved just below a power of ten so that xact_ids cross a digit boundary during the run (a text
// ordering of them once served events twice).
func TestFeedPropertyConcurrentWriters(t *testing.T) {
	s := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	burnToDigitBoundary(t, ctx, s.pool, 200)

	const writers = 8
	writeFor := 3 * time.Second
	stop := time.Now().Add(writeFor)
	var (
		wg         sync.WaitGroup
		rolledBack sync.Map
		commits    atomic.Int64
		failed     atomic.Value
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 17))
			for i := 0; time.Now().Before(stop); i++ {
				if w == 0 && i%4 == 0 { // the real write path: lead row, audit rows, NOTIFY
					if _, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("p-%d", i)}, "feedtest"); err != nil {
						failed.Store(err)
						return
					}
					continue
				}
				tx, err := s.pool.Begin(ctx)
				if err != nil {
					failed.Store(err)
					return
				}
				var ids []int64
				for range 1 + rng.IntN(3) {
					var id int64
					if err := tx.QueryRow(ctx, `INSERT INTO audit_events (lead_id, at, actor, type) VALUES ($1, now(), 'feedtest', 'routed') RETURNING id`,
						core.NewID()).Scan(&id); err != nil {
						failed.Store(err)
						_ = tx.Rollback(ctx)
						return
					}
					ids = append(ids, id)
					time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				}
				if rng.IntN(10) == 0 {
					for _, id := range ids {
						rolledBack.Store(id, true)
					}
					_ = tx.Rollback(ctx)
					continue
				}
				if err := tx.Commit(ctx); err != nil {
					failed.Store(err)
					return
				}
				commits.Add(1)
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	seen := map[int64]int{}
	var order []int64
	pos := ""
	rng := rand.New(rand.NewPCG(99, 1))
	read := func() store.FeedPage {
		p, err := s.EventsAfter(ctx, store.FeedQuery{After: pos, Limit: 1 + rng.IntN(50)})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			seen[ev.ID]++
			order = append(order, ev.ID)
		}
		pos = p.Next
		return p
	}
	pages := 0
follow:
	for {
		select {
		case <-writersDone:
			break follow
		case <-ctx.Done():
			t.Fatal("writers did not finish in time")
		default:
			read()
			pages++
		}
	}
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	for range 100000 { // catch up: bounded
		if p := read(); len(p.Events) == 0 {
			break
		}
	}

	rows, err := s.pool.Query(ctx, `SELECT id FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	outOfOrder := 0
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			outOfOrder++
		}
	}
	for _, id := range committed {
		if seen[id] != 1 {
			t.Errorf("committed event %d served %d times", id, seen[id])
		}
		delete(seen, id)
	}
	for id := range seen {
		_, rb := rolledBack.Load(id)
		t.Errorf("served event %d that is not committed (rolled back: %v)", id, rb)
	}
	var minX, maxX string
	if err := s.pool.QueryRow(ctx, `SELECT min(xact_id)::text, max(xact_id)::text FROM audit_events`).Scan(&minX, &maxX); err != nil {
		t.Fatal(err)
	}
	if len(minX) == len(maxX) {
		t.Errorf("xact_ids %s..%s did not cross a digit boundary", minX, maxX)
	}
	if outOfOrder == 0 {
		t.Errorf("no id was served after a larger one: the writers never committed out of order, the test proves nothing")
	}
	t.Logf("%d transactions committed, %d events, %d pages while writing, %d served after a larger id, xact_id %s..%s",
		commits.Load(), len(committed), pages, outOfOrder, minX, maxX)
}

// burnToDigitBoundary advances the cluster's transaction counter to margin below the next power of
// ten (when that is within 50,000), each burnt transaction committed by a DO block.
func burnToDigitBoundary(t *testing.T, ctx context.Context, pool *pgxpool.Pool, margin int) {
	t.Helper()
	var x string
	if err := pool.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&x); err != nil {
		t.Fatal(err)
	}
	cur, _ := strconv.ParseInt(x, 10, 64)
	next := int64(1)
	for next <= cur+int64(margin) {
		next *= 10
	}
	burn := next - int64(margin) - cur
	if burn > 50000 {
		t.Fatalf("transaction counter at %d: %d transactions to the next power of ten; use a fresher server", cur, burn)
	}
	if burn <= 0 {
		return
	}
	if _, err := pool.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN FOR i IN 1..%d LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`, burn)); err != nil {
		t.Fatal(err)
	}
}

// TestFeedRowsBeforeTheMigration: audit rows written before migration 00009 get xact_id 0 and are
// served first, in id order, then the rows written after it; the batch insert (INSERT … SELECT FROM
// unnest) fills xact_id from the column default, one transaction id for the whole batch.
func TestFeedRowsBeforeTheMigration(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	migrateTo(t, ctx, pool, 8)
	var old []int64
	for i := range 5 {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO audit_events (lead_id, at, actor, type) VALUES ($1, now(), 'old', $2) RETURNING id`,
			core.NewID(), []string{"created", "routed"}[i%2]).Scan(&id); err != nil {
			t.Fatal(err)
		}
		old = append(old, id)
	}

	s, err := Open(ctx, dsn, storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var zero int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE xact_id = '0'`).Scan(&zero); err != nil || zero != len(old) {
		t.Fatalf("%d rows with xact_id 0 after the migration (%v), want %d", zero, err, len(old))
	}
	batch := storetest.BenchInputs("mig", 50)
	if _, err := s.UpsertLeads(ctx, batch, "feedtest"); err != nil {
		t.Fatal(err)
	}
	var xacts int
	var minX string
	if err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT xact_id), min(xact_id)::text FROM audit_events WHERE xact_id <> '0'`).Scan(&xacts, &minX); err != nil {
		t.Fatal(err)
	}
	if xacts != 1 || minX == "0" {
		t.Fatalf("the batch's audit rows carry %d transaction ids (min %s), want 1, non-zero", xacts, minX)
	}
	p, err := s.EventsAfter(ctx, store.FeedQuery{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := feedIDs(p); !slices.Equal(got, old[:3]) {
		t.Fatalf("first page %v, want the old rows first %v", got, old[:3])
	}
	rest, err := s.EventsAfter(ctx, store.FeedQuery{After: p.Next, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got := feedIDs(rest); len(got) != 2+len(batch) || !slices.Equal(got[:2], old[3:]) {
		t.Fatalf("rest: %d events starting %v, want the 2 old rows then %d new", len(got), got[:min(3, len(got))], len(batch))
	}
	filtered, err := s.EventsAfter(ctx, store.FeedQuery{Types: []string{"routed"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := feedIDs(filtered); !slices.Equal(got, []int64{old[1], old[3]}) {
		t.Fatalf("routed: %v, want the old routed rows %v", got, []int64{old[1], old[3]})
	}
}

// migrateTo applies the migrations up to version.
func migrateTo(t *testing.T, ctx context.Context, pool *pgxpool.Pool, version int64) {
	t.Helper()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
}

// TestFeedQueriesUseTheFeedIndex: the feed reads a window through audit_events_feed_idx, never a
// scan of the audit log.
func TestFeedQueriesUseTheFeedIndex(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	storetest.BenchDecisions(t, s, "plan", 3000, func(int) time.Time { return time.Now().Add(time.Hour) })
	if _, err := s.pool.Exec(ctx, `ANALYZE audit_events`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{feedAllSQL, []any{"0", int64(0), 100}},
		{feedSQL, []any{"0", int64(0), 1000, []string{"routed"}}},
	} {
		rows, err := s.pool.Query(ctx, `EXPLAIN `+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "audit_events_feed_idx") || strings.Contains(text, "Seq Scan") || strings.Contains(text, "Sort") {
			t.Errorf("plan does not read the feed index in order:\n%s", text)
		}
	}
}

// TestFeedAfterRestoreIntoAnotherCluster: a logical dump restored into a cluster whose transaction
// counter is behind the stored xact_ids (simulated by rows written with an xact_id a million ahead).
// Opening the store realigns: the restored events are served, and a consumer that has read them all
// still gets the events written afterwards, through that store and through one opened before (its
// cached plans); opening again does not move the offset further.
func TestFeedAfterRestoreIntoAnotherCluster(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before, err := Open(ctx, dsn, storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	mustUpsertFeed(t, before, "r-1")
	if _, err := before.pool.Exec(ctx, `INSERT INTO audit_events (lead_id, at, actor, type, xact_id)
		SELECT $1::uuid, now(), 'restored', 'routed', (pg_current_xact_id()::text::numeric + 1000000 + g)::text::xid8
		FROM generate_series(1, 3) g`, core.NewID()); err != nil {
		t.Fatal(err)
	}
	// Before the store is opened again, the restored events lie beyond the horizon: not served.
	if p, err := before.EventsAfter(ctx, store.FeedQuery{}); err != nil || len(p.Events) != 1 {
		t.Fatalf("before the realignment: %d events, %v; want only the one written before the restore", len(p.Events), err)
	}

	after, err := Open(ctx, dsn, storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	offset := func() string {
		var v string
		if err := after.pool.QueryRow(ctx, `SELECT value FROM store_meta WHERE key = 'xact_offset'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	off := offset()
	if off == "0" {
		t.Fatal("the offset was not raised")
	}
	pos, n := "", 0
	for range 10 {
		p, err := after.EventsAfter(ctx, store.FeedQuery{After: pos})
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Events)
		if p.Next == pos {
			break
		}
		pos = p.Next
	}
	if n != 4 {
		t.Fatalf("read %d events after the realignment, want 4 (one written before, three restored)", n)
	}
	mustUpsertFeed(t, after, "r-2")
	mustUpsertFeed(t, before, "r-3")
	p, err := after.EventsAfter(ctx, store.FeedQuery{After: pos})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 || p.Events[0].Type != "created" || p.Events[1].Type != "created" {
		t.Fatalf("after the restored events: %+v, want the two leads created since", p.Events)
	}
	again, err := Open(ctx, dsn, storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	if got := offset(); got != off {
		t.Fatalf("a second open moved the offset from %s to %s", off, got)
	}
}

func TestNewXactOffset(t *testing.T) {
	for _, tt := range []struct {
		maxX, xmin, xmax, offset string
		want                     string
		ok                       bool
	}{
		{"0", "750", "750", "0", "", false},                                       // empty log
		{"749", "750", "760", "0", "", false},                                     // ordinary
		{"755", "750", "760", "0", "", false},                                     // committed above an old open transaction's xmin
		{"760", "750", "760", "0", "11", true},                                    // restored: at the next id
		{"5000000", "750", "760", "0", "4999251", true},                           // restored far ahead: xmin+offset = max+1
		{"5000000", "800", "810", "4999251", "", false},                           // aligned before
		{"18446744073709551000", "750", "760", "0", "18446744073709550251", true}, // uint64 range
		{"x", "1", "1", "0", "", false},
	} {
		got, ok := newXactOffset(tt.maxX, tt.xmin, tt.xmax, tt.offset)
		if got != tt.want || ok != tt.ok {
			t.Errorf("newXactOffset(%s, %s, %s, %s) = %q, %v; want %q, %v", tt.maxX, tt.xmin, tt.xmax, tt.offset, got, ok, tt.want, tt.ok)
		}
	}
}

package postgres

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openFresh(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.NewDatabase(t), storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return openFresh(t) })
}

// TestConcurrentFirstOpen: several processes' worth of Opens race on a fresh database; all succeed
// and the migration ran once.
func TestConcurrentFirstOpen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(context.Background(), dsn, store.Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var versions int
	if err := stores[0].pool.QueryRow(context.Background(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	// Each migration file recorded once.
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if versions != len(files) {
		t.Fatalf("%d migrations recorded, want %d", versions, len(files))
	}
}

// TestNotificationsAcrossStores: a change made through one Store (another process, in production)
// reaches the subscribers of another.
func TestNotificationsAcrossStores(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, err := Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := a.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := b.UpsertLead(ctx, store.LeadInput{ExternalID: "x"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, l.ID)
	// A rolled-back transaction announces nothing: a failing batch sends no notification.
	if _, err := b.UpsertLeads(ctx, []store.LeadInput{{ExternalID: "y"}, {ExternalID: "y"}}, "test"); err == nil {
		t.Fatal("duplicate batch accepted")
	}
}

// TestListenerReconnects kills the LISTEN connection's backend: the listener reconnects, replays
// the change made while it was down, and keeps delivering.
func TestListenerReconnects(t *testing.T) {
	s := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid := s.listener.backendPID()
	if pid == 0 {
		t.Fatal("listener not connected")
	}
	var killed bool
	if err := s.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate listener backend: %v %v", killed, err)
	}
	// Written while the listener is (probably) down: must arrive through the replay.
	during, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: "during"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, during.ID)
	deadline := time.Now().Add(30 * time.Second)
	for s.listener.backendPID() == 0 || s.listener.backendPID() == pid {
		if time.Now().After(deadline) {
			t.Fatal("listener did not reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	after, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: "after"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, after.ID)
}

func expectChange(t *testing.T, ch <-chan store.Change, id string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("subscription closed")
			}
			if c.LeadID == id {
				return
			}
		case <-timeout:
			t.Fatalf("no change for lead %s", id)
		}
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	l, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: "a"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_events SET actor = 'x'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`} {
		_, err := s.pool.Exec(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err = %v", q, err)
		}
	}
	if evs, _ := s.Audit(ctx, l.ID); len(evs) != 1 {
		t.Fatalf("audit: %+v", evs)
	}
}

func TestInjectedClock(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
	s, err := Open(context.Background(), pgtest.NewDatabase(t), store.Options{Clock: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, _, err := s.UpsertLead(context.Background(), store.LeadInput{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Microsecond); !l.CreatedAt.Equal(want) {
		t.Fatalf("created %v, want %v", l.CreatedAt, want)
	}
}

func TestOpenBadDSNHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:s3cret@127.0.0.1:1/x?sslmode=bogus", store.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
}

// TestIndexedQueries: with 3,000 open handoffs none of which is due, the planner answers
// DueHandoffs from the partial deadline indexes, the router's queries and the recent-breach figures
// from theirs; no query scans the table.
func TestIndexedQueries(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	now := time.Now().UTC()
	ds := storetest.BenchDecisions(t, s, "plan", 3000, func(i int) time.Time { return now.Add(time.Duration(1+i) * time.Minute) })
	storetest.BenchCommit(t, s, ds[:2500], 500) // 500 stay pending
	if _, err := s.pool.Exec(ctx, `ANALYZE leads`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql     string
		args    []any
		indexes []string
	}{
		{dueSQL, []any{now, 100}, []string{"leads_first_touch_due_idx", "leads_acceptance_due_idx"}},
		{`SELECT id FROM leads WHERE stage = 'new' OR (stage = 'qualified' AND owner = '') ORDER BY created_at, id LIMIT 100`, nil, []string{"leads_pending_idx"}},
		{`SELECT owner FROM leads WHERE policy = $1 AND rule = $2 AND routed_at IS NOT NULL ORDER BY routed_at DESC, id DESC LIMIT 1`, []any{"ns/p", "r-rare"}, []string{"leads_rule_idx"}},
		{slaBreachSQL, []any{"ns/p", now.Add(-15 * time.Minute)}, []string{"leads_policy_last_breach_idx"}},
	} {
		rows, err := s.pool.Query(ctx, `EXPLAIN `+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		for _, idx := range q.indexes {
			if !strings.Contains(text, idx) {
				t.Errorf("plan does not use %s:\n%s", idx, text)
			}
		}
		if strings.Contains(text, "Seq Scan on leads") {
			t.Errorf("plan scans leads:\n%s", text)
		}
	}
}

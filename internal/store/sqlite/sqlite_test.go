package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "leads.db"), storetest.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return openTemp(t) })
}

// TestConcurrentFirstOpen: several Opens race on a fresh file; all succeed and the schema is applied
// once.
func TestConcurrentFirstOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leads.db")
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(context.Background(), path, store.Options{})
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
	if err := stores[0].r.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&versions); err != nil {
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
	// Reopening an up-to-date file is a no-op.
	s, err := Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestAuditIsAppendOnly(t *testing.T) {
	s := openTemp(t)
	l, _, err := s.UpsertLead(context.Background(), store.LeadInput{ExternalID: "a"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_events SET actor = 'x'`, `DELETE FROM audit_events`} {
		_, err := s.w.Exec(q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err = %v", q, err)
		}
	}
	if evs, _ := s.Audit(context.Background(), l.ID); len(evs) != 1 {
		t.Fatalf("audit: %+v", evs)
	}
}

func TestInjectedClock(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "leads.db"), store.Options{Clock: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, _, err := s.UpsertLead(context.Background(), store.LeadInput{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := at.Truncate(time.Microsecond)
	if !l.CreatedAt.Equal(want) || !l.UpdatedAt.Equal(want) {
		t.Fatalf("created %v, want %v", l.CreatedAt, want)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, p := range []string{"", "a?b", filepath.Join(t.TempDir(), "missing-dir", "x.db")} {
		if _, err := Open(context.Background(), p, store.Options{}); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestIndexedQueries: EXPLAIN QUERY PLAN shows DueHandoffs searching the two partial deadline
// indexes, the router's queries their indexes and the recent-breach figures theirs; nothing scans
// the leads table.
func TestIndexedQueries(t *testing.T) {
	s := openTemp(t)
	for _, q := range []struct {
		sql     string
		args    []any
		indexes []string
	}{
		{dueSQL, []any{int64(0), 100}, []string{"leads_first_touch_due_idx", "leads_acceptance_due_idx"}},
		{`SELECT id FROM leads INDEXED BY leads_pending_idx WHERE ` + pendingWhere + ` ORDER BY created_at, id LIMIT 100`, nil, []string{"leads_pending_idx"}},
		{`SELECT owner, count(*) FROM leads INDEXED BY leads_open_owner_idx WHERE stage IN ('routed', 'touched') GROUP BY owner`, nil, []string{"leads_open_owner_idx"}},
		{`SELECT owner FROM leads WHERE policy = ? AND rule = ? AND routed_at IS NOT NULL ORDER BY routed_at DESC, id DESC LIMIT 1`, []any{"p", "r"}, []string{"leads_rule_idx"}},
		{slaBreachSQL, []any{sql.Named("policy", "p"), sql.Named("breached", int64(0))}, []string{"leads_policy_last_breach_idx"}},
	} {
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		for _, idx := range q.indexes {
			if !strings.Contains(text, "INDEX "+idx) {
				t.Errorf("plan does not use %s:\n%s", idx, text)
			}
		}
		for _, line := range plan {
			if line == "SCAN leads" {
				t.Errorf("plan scans leads:\n%s", text)
			}
		}
	}
}

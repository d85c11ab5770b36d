package storeopen

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/postgres"
	"github.com/leadops/leadops/internal/store/sqlite"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		dsn    string
		kind   Kind
		target string
		err    string
	}{
		{"postgres://u:p@127.0.0.1:5432/leads", KindPostgres, "postgres://u:p@127.0.0.1:5432/leads", ""},
		{"postgresql://127.0.0.1/leads?sslmode=disable", KindPostgres, "postgresql://127.0.0.1/leads?sslmode=disable", ""},
		{"sqlite:///var/lib/leadops/leads.db", KindSQLite, "/var/lib/leadops/leads.db", ""},
		{"sqlite://leads.db", KindSQLite, "leads.db", ""},
		{"file:leads.db", KindSQLite, "leads.db", ""},
		{"file:///tmp/leads.db", KindSQLite, "/tmp/leads.db", ""},
		{"/tmp/leads.db", KindSQLite, "/tmp/leads.db", ""},
		{"leads.db", KindSQLite, "leads.db", ""},
		{"", "", "", "empty store DSN"},
		{"  ", "", "", "empty store DSN"},
		{"mysql://root:hunter2@db/leads", "", "", `unsupported store DSN scheme "mysql"`},
		{"sqlite://", "", "", "names no SQLite file"},
		{"file:leads.db?_pragma=foo", "", "", "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			kind, target, err := Parse(tt.dsn)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil || kind != tt.kind || target != tt.target {
				t.Fatalf("Parse = %s %q %v, want %s %q", kind, target, err, tt.kind, tt.target)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leads.db")
	for _, dsn := range []string{"sqlite://" + path, "file:" + path, path} {
		s, err := Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatalf("Open(%s): %v", dsn, err)
		}
		if _, ok := s.(*sqlite.Store); !ok {
			t.Fatalf("Open(%s) = %T", dsn, s)
		}
		s.Close()
	}
	if _, err := Open(context.Background(), "redis://x", store.Options{}); err == nil {
		t.Fatal("redis DSN accepted")
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// Open's result is the whole store contract, whichever backend the DSN names.
var _ func(context.Context, string, store.Options) (store.Backend, error) = Open

// TestOpenReturnsBackend opens both DSN kinds through one store.Backend variable and uses a method
// of every group (leads, accounts, routing queue, SLA, stats, goals, changes), with no type assertion.
func TestOpenReturnsBackend(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		dsn  string
	}{
		{KindSQLite, "sqlite://" + filepath.Join(t.TempDir(), "leads.db")},
		{KindPostgres, pgtest.NewDatabase(t)},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var b store.Backend
			b, err := Open(ctx, tc.dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			switch b.(type) {
			case *sqlite.Store:
				if tc.kind != KindSQLite {
					t.Fatalf("Open(%s DSN) = %T", tc.kind, b)
				}
			case *postgres.Store:
				if tc.kind != KindPostgres {
					t.Fatalf("Open(%s DSN) = %T", tc.kind, b)
				}
			default:
				t.Fatalf("Open = %T", b)
			}
			if err := b.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Subscribe(ctx); err != nil {
				t.Fatal(err)
			}
			l, _, err := b.UpsertLead(ctx, store.LeadInput{ExternalID: "x-1", Domain: "example.com"}, "storeopen-test")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.UpsertAccount(ctx, store.Account{Domain: "example.com", Owner: "rep-1"}); err != nil {
				t.Fatal(err)
			}
			if pending, err := b.PendingLeads(ctx, store.PendingCursor{}, 10); err != nil || len(pending) != 1 || pending[0].ID != l.ID {
				t.Fatalf("PendingLeads = %v, %v", pending, err)
			}
			now := time.Now()
			if _, err := b.DueHandoffs(ctx, now, 10); err != nil {
				t.Fatal(err)
			}
			if _, err := b.PolicyStats(ctx, "default/p"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := b.GoalMetric(ctx, store.GoalQuery{Metric: "NewLeads", Start: now.Add(-time.Hour), End: now.Add(time.Hour), Now: now}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenPostgres(t *testing.T) {
	s, err := Open(context.Background(), pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*postgres.Store); !ok {
		t.Fatalf("Open = %T", s)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

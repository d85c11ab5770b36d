package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// TestServerLifecycle starts its own server, runs a query, stops it, and checks that nothing is
// left: the process is gone and the directory removed.
func TestServerLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := s.PID(), s.Dir
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT 40 + 2`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("query: %d %v", n, err)
	}
	conn.Close(ctx)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data dir %s still there: %v", dir, err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("postmaster %d still alive: %v", pid, err)
	}
	c, cancel2 := context.WithTimeout(ctx, 2*time.Second)
	defer cancel2()
	if conn, err := pgx.Connect(c, s.DSN("postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("server still accepts connections")
	}
}

// TestNewDatabaseIsolated: two tests' databases do not share tables.
func TestNewDatabaseIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatal("same database twice")
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	if _, err := cb.Exec(ctx, `SELECT * FROM only_in_a`); err == nil {
		t.Fatal("table of database a visible in database b")
	}
}

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5/postgres?sslmode=disable": "postgres://u:p@h:5/x?sslmode=disable",
		"host=h user=u": "host=h user=u dbname=x",
	} {
		if got, err := withDatabase(in, "x"); err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestMissingBinariesSayHowToFix: no binaries is an error that names the fix, never a skip.
func TestMissingBinariesSayHowToFix(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := debianBinGlob
	debianBinGlob = filepath.Join(t.TempDir(), "*", "bin")
	defer func() { debianBinGlob = old }()
	_, err := Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql-15") {
		t.Fatalf("err = %v", err)
	}
}

// TestHaltResume: a halted server refuses connections, and resumes on the same port with its data.
func TestHaltResume(t *testing.T) {
	s := StartDedicated(t)
	dsn := s.NewDatabase(t)
	ctx := context.Background()
	if err := execSQL(ctx, dsn, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := execSQL(ctx, dsn, `SELECT 1`); err == nil {
		t.Fatal("a halted server accepted a connection")
	}
	if err := s.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("after Resume, the same DSN: %v", err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after Resume: %v %v, want the committed row 42", v, err)
	}
}

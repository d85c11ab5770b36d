// Package pgtest gives tests a real PostgreSQL: a throwaway server started from the machine's
// PostgreSQL binaries (initdb + postgres on a free 127.0.0.1 port in a temp dir), or the server named
// by LEADOPS_TEST_POSTGRES_DSN. Every test gets its own fresh database.
//
// Usage:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//	func TestX(t *testing.T) { dsn := pgtest.NewDatabase(t); ... }
//
// Missing binaries fail the test loudly with the fix; they never skip it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names an existing server to use instead of starting one. Its user must be allowed to
// CREATE DATABASE.
const EnvDSN = "LEADOPS_TEST_POSTGRES_DSN"

var (
	mu       sync.Mutex
	inMain   bool
	shared   *Server
	startErr error
)

// Main runs the package's tests and then stops the server they shared. Call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain that has more to set up and tear down: it returns the exit code.
func Run(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping the test server: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		shared = nil
	}
	mu.Unlock()
	return code
}

// NewDatabase creates an empty database for this test (dropped at cleanup) and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := adminDSN()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "leadops_test_" + randomHex(6)
	if err := execSQL(ctx, admin, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends connections a test leaked (or a LISTEN connection still closing).
		if err := execSQL(ctx, admin, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// adminDSN returns the DSN of the maintenance database of the server tests share, starting it on
// first use.
func adminDSN() (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		return "", fmt.Errorf("call pgtest.Main(m) from TestMain, so the server started for the tests is stopped after them")
	}
	if shared == nil && startErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared, startErr = Start(ctx)
	}
	if startErr != nil {
		return "", startErr
	}
	return shared.DSN("postgres"), nil
}

func execSQL(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase points a URL or keyword/value DSN at another database.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %v", EnvDSN, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package main

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/sqlite"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// harness is an in-process API server on 127.0.0.1 over a fresh SQLite store, and the flags leadctl
// needs to reach it.
type harness struct {
	st       store.Backend
	dir      string
	connArgs []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, store.Options{})
}

// newHarnessWith is newHarness over a store with the given options (a fake clock).
func newHarnessWith(t *testing.T, opts store.Options) *harness {
	t.Helper()
	dir := t.TempDir()
	st := openSQLite(t, filepath.Join(dir, "leads.db"), opts)
	serverTokens, clientToken := filepath.Join(dir, "server-tokens"), filepath.Join(dir, "token")
	write(t, serverTokens, "ops-team:"+apiToken+"\n")
	write(t, clientToken, apiToken+"\n")
	url := serveAPI(t, st, serverTokens)
	return &harness{st: st, dir: dir, connArgs: []string{"--server", url, "--token-file", clientToken}}
}

// openSQLite opens (creating) the SQLite store at path, closed when the test ends.
func openSQLite(t *testing.T, path string, opts store.Options) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// serveAPI serves the store's HTTP API on a free port of 127.0.0.1 with the token file until the test
// ends, and returns its URL.
func serveAPI(t *testing.T, st store.Backend, tokenFile string) string {
	t.Helper()
	srv, err := api.NewServer(st, api.Options{TokenFile: tokenFile})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// buildBinary builds this package as bin/name with the go of this test's toolchain.
func buildBinary(t *testing.T, bin, name string) {
	t.Helper()
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(bin, name), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
}

// storeBackends are the store backends a test runs on: a fresh SQLite file and a fresh PostgreSQL
// database, each as a DSN.
func storeBackends() []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "leads.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	}
}

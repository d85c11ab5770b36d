package api_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/sqlite"
)

// TestReadyMeansServing: the readiness check the manager wires is false until Start has bound the
// port and serves it, true from then on (a request made at that moment is answered), false again once
// shutdown begins, and carries the listen error when the port is taken.
func TestReadyMeansServing(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "leads.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte(tokenFile), 0o600); err != nil {
		t.Fatal(err)
	}
	newServer := func(addr string) *api.Server {
		srv, err := api.NewServer(st, api.Options{Addr: addr, TokenFile: tokens})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}

	srv := newServer("127.0.0.1:0")
	if err := srv.ReadyCheck(nil); err == nil {
		t.Fatal("ready before Start")
	}
	addrc := make(chan string, 1)
	srv.NotifyListening(func(a net.Addr) {
		// Bound but not yet handed to the HTTP server: not ready.
		if err := srv.Ready(); err == nil {
			t.Error("ready before serving")
		}
		addrc <- a.String()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	addr := <-addrc

	deadline := time.Now().Add(10 * time.Second)
	for srv.ReadyCheck(nil) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready 10 s after listening: %v", srv.Ready())
		}
		time.Sleep(time.Millisecond)
	}
	// The moment it says ready, the port answers.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("ready, but the API does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}

	// A second server on the same port cannot listen: not ready, and the check says why.
	busy := newServer(addr)
	if err := busy.Start(context.Background()); err == nil {
		t.Fatal("a second server listened on a bound port")
	}
	if err := busy.Ready(); err == nil || !strings.Contains(err.Error(), "listen on "+addr) {
		t.Fatalf("ready on a busy port: %v", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := srv.Ready(); err == nil {
		t.Fatal("ready after shutdown")
	}
}

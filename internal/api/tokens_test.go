package api_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
)

// waitFor polls cond every 10ms for up to 3s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 300 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestTokenFileReload rotates tokens the way the kubelet updates a Secret volume: the new content is
// written to a fresh directory and the ..data symlink is swapped, so the file's path never changes
// but what it resolves to does.
func TestTokenFileReload(t *testing.T) {
	st := backends()[0].open(t)
	dir := t.TempDir()
	writeVersion := func(name, content string) {
		t.Helper()
		v := filepath.Join(dir, name)
		if err := os.Mkdir(v, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(v, "tokens"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	writeVersion("..v1", "old:old-token-1234567890\n")
	if err := os.Symlink(filepath.Join("..data", "tokens"), filepath.Join(dir, "tokens")); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, st, func(o *api.Options) {
		o.TokenFile = filepath.Join(dir, "tokens")
		o.TokenReloadInterval = 20 * time.Millisecond
	})
	status := func(token string) int {
		return ts.do(t, "GET", "/v1/leads", "", "Bearer "+token, nil).status
	}
	if got := status("old-token-1234567890"); got != 200 {
		t.Fatalf("old token before rotation: %d", got)
	}
	if got := status("new-token-0987654321"); got != 401 {
		t.Fatalf("new token before rotation: %d", got)
	}

	writeVersion("..v2", "# rotated\nnew:new-token-0987654321\n")
	waitFor(t, "the new token to be accepted", func() bool { return status("new-token-0987654321") == 200 })
	if got := status("old-token-1234567890"); got != 401 {
		t.Fatalf("old token after rotation: %d", got)
	}

	// A file that vanishes (mid-swap, or a deleted Secret) keeps the last good tokens.
	if err := os.Remove(filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := status("new-token-0987654321"); got != 200 {
		t.Fatalf("token after the file vanished: %d", got)
	}
	if !strings.Contains(ts.logs.String(), "token file reloaded") {
		t.Error("the reload was not logged")
	}
	for _, secret := range []string{"old-token-1234567890", "new-token-0987654321"} {
		if strings.Contains(ts.logs.String(), secret) {
			t.Errorf("the log contains a token")
		}
	}
}

func TestTokenFileFormatAndActors(t *testing.T) {
	st := backends()[0].open(t)
	ts := startServer(t, st, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		header string
		status int
		actor  string
	}{
		{"Bearer " + tokenHubspot, 200, "hubspot"},
		{"bearer " + tokenAlice, 200, "alice"}, // scheme is case-insensitive; blanks around name and token ignored
		{"Bearer " + tokenBare, 200, "token-"}, // a bare token is named after its hash, never itself
		{"Bearer # API tokens", 401, ""},       // comments are not tokens
		{"Bearer hubspot:" + tokenHubspot, 401, ""},
		{"Bearer", 401, ""},
		{"Bearer  ", 401, ""},
	} {
		r := ts.do(t, "POST", "/v1/leads", "application/json", tc.header, []byte(`{"externalId":"ACT-`+tc.actor+`"}`))
		if r.status != tc.status && !(tc.status == 200 && r.status == 201) {
			t.Errorf("%q: status %d, want %d", tc.header, r.status, tc.status)
			continue
		}
		if tc.actor == "" {
			continue
		}
		l, err := st.GetLeadByExternalID(ctx, "ACT-"+tc.actor)
		if err != nil {
			t.Fatal(err)
		}
		events, err := st.Audit(ctx, l.ID)
		if err != nil || len(events) == 0 {
			t.Fatalf("audit: %v", err)
		}
		if a := events[0].Actor; !strings.HasPrefix(a, tc.actor) || strings.Contains(a, "s3cret") {
			t.Errorf("%q: actor %q, want %q…", tc.header, a, tc.actor)
		}
	}
}

func TestNewServerRefusesMissingTokenFile(t *testing.T) {
	st := backends()[0].open(t)
	if _, err := api.NewServer(st, api.Options{}); err == nil {
		t.Error("a server without a token file was created")
	}
	if _, err := api.NewServer(st, api.Options{TokenFile: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a server with a missing token file was created")
	}
}

// TestStartServesUntilCanceled runs the server as the manager would (Start) and checks a graceful stop.
func TestStartServesUntilCanceled(t *testing.T) {
	st := backends()[0].open(t)
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("t:abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := api.NewServer(st, api.Options{Addr: "127.0.0.1:0", TokenFile: tokens})
	if err != nil {
		t.Fatal(err)
	}
	if srv.NeedLeaderElection() {
		t.Error("the API should run on every replica")
	}
	addrs := make(chan net.Addr, 1)
	srv.NotifyListening(func(a net.Addr) { addrs <- a })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("Start returned early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not start listening")
	}
	ts := &testServer{url: "http://" + addr.String(), store: st}
	if r := ts.do(t, "GET", "/healthz", "", "", nil); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Start returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Start did not return after its context ended")
	}
}

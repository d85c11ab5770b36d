package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/api/client"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/testutil/syncbuf"
)

// testNow is the pinned clock of the API under test.
var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// Tokens of the test token file: named ones (the audit actor is the name), a bare one, a comment.
const (
	tokenHubspot = "s3cret-hubspot-token-0123456789"
	tokenAlice   = "s3cret-alice-token-abcdefghij"
	tokenBare    = "s3cret-bare-token-zyxwvu"
	tokenFile    = "# API tokens\n\nhubspot:" + tokenHubspot + "\n  alice : " + tokenAlice + "  \n" + tokenBare + "\n"
)

// testServer is an API server on 127.0.0.1 with its store and token file.
type testServer struct {
	url       string
	store     store.Backend
	tokenPath string
	logs      *syncbuf.Buffer
	hubspot   *client.Client // authenticated as "hubspot"
	alice     *client.Client // authenticated as "alice"
}

// startServer serves st over real HTTP on 127.0.0.1 until the test ends.
func startServer(t *testing.T, st store.Backend, mutate func(*api.Options)) *testServer {
	t.Helper()
	dir := t.TempDir()
	tokenPath := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokenPath, []byte(tokenFile), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	opts := api.Options{TokenFile: tokenPath, MaxBodyBytes: 64 << 10, Clock: func() time.Time { return testNow },
		Logger: logs.Logger(1)}
	if mutate != nil {
		mutate(&opts)
	}
	srv, err := api.NewServer(st, opts)
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	url := "http://" + ln.Addr().String()
	return &testServer{url: url, store: st, tokenPath: tokenPath, logs: logs,
		hubspot: &client.Client{BaseURL: url, Token: tokenHubspot},
		alice:   &client.Client{BaseURL: url, Token: tokenAlice}}
}

// rawResponse is a response read in full.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
	err    api.ErrorBody
}

// do sends a raw request; token "" sends no Authorization header.
func (ts *testServer) do(t *testing.T, method, path, contentType, token string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(b, &r.err); err != nil {
			t.Fatalf("%s %s: error body is not JSON: %q", method, path, b)
		}
	}
	return r
}

// snapshot renders everything the API can change (every lead with its version and audit trail, and
// the accounts the tests use) so a test can prove a refused request changed nothing.
func snapshot(t *testing.T, st store.Backend) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	f := store.ListFilter{Limit: store.MaxPageSize}
	for range 100 { // bounded: the tests hold far fewer than 100 pages of leads
		page, err := st.ListLeads(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Leads {
			events, err := st.Audit(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			j, _ := json.Marshal(struct {
				L *lead.Lead
				E []store.AuditEvent
			}{l, events})
			b.Write(j)
			b.WriteByte('\n')
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	for _, d := range []string{"acme.com", "beta.io", "nobody.io"} {
		a, err := st.GetAccount(ctx, d)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		j, _ := json.Marshal(a)
		b.Write(j)
	}
	return b.String()
}

// routeLead moves a lead to routed with an owner, as the controller's router does (store.Update).
func routeLead(t *testing.T, st store.Backend, id, owner, team string) *lead.Lead {
	t.Helper()
	ctx := context.Background()
	l, err := st.GetLead(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if l.Stage == lead.StageNew {
		if l, err = st.Apply(ctx, id, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"}); err != nil {
			t.Fatal(err)
		}
	}
	l.Stage, l.Owner, l.Team, l.Policy = lead.StageRouted, owner, team, "default/inbound"
	now := time.Now().UTC()
	l.RoutedAt = &now
	l, err = st.Update(ctx, l, store.AuditEvent{LeadID: id, At: now, Actor: "router", Type: "routed",
		Reason: "round robin", Data: map[string]any{"owner": owner, "team": team}})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

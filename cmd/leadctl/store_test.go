package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestStoreMode runs leadctl straight against a store DSN, for both backends.
func TestStoreMode(t *testing.T) {
	for _, b := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "leads.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			dir := t.TempDir()
			csvPath := filepath.Join(dir, "leads.csv")
			write(t, csvPath, importFile)
			conn := []string{"--store", dsn, "--actor", "maria"}
			mapping := []string{"--map", "externalId=Lead Number,email=E-Mail,company=Company Name"}

			code, _, stderr := leadctl(t, nil, append(append([]string{"import", csvPath}, mapping...), conn...)...)
			if code != exitError || !strings.Contains(stderr, "line 3:") || !strings.Contains(stderr, "nothing imported") {
				t.Fatalf("import with bad rows: %d %s", code, stderr)
			}
			st, err := storeopen.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if page, _ := st.ListLeads(context.Background(), store.ListFilter{}); len(page.Leads) != 0 {
				t.Fatalf("%d leads stored after a refused import", len(page.Leads))
			}
			code, stdout, stderr := leadctl(t, map[string]string{"LEADCTL_STORE": dsn}, append([]string{"import", csvPath, "--skip-invalid", "--actor", "maria"}, mapping...)...)
			if code != exitOK || !strings.Contains(stdout, "imported 3 leads") {
				t.Fatalf("import --skip-invalid: %d %q %q", code, stdout, stderr)
			}
			l, err := st.GetLeadByExternalID(context.Background(), "CRM-5")
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr = leadctl(t, nil, append([]string{"qualify", l.ID}, conn...)...)
			if code != exitOK || !strings.Contains(stdout, "qualified by marketing") {
				t.Fatalf("qualify: %d %q %q", code, stdout, stderr)
			}
			code, stdout, stderr = leadctl(t, nil, append([]string{"get", "--external", "CRM-5"}, conn...)...)
			if code != exitOK || !strings.Contains(stdout, "maria created the lead") || !strings.Contains(stdout, "maria qualified the lead") {
				t.Fatalf("get: %d %q %q", code, stdout, stderr)
			}
			code, _, stderr = leadctl(t, nil, append([]string{"touch", l.ID}, conn...)...)
			if code != exitError || !strings.Contains(stderr, `cannot touch a lead in stage "qualified"`) {
				t.Fatalf("illegal touch: %d %q", code, stderr)
			}
			if code, _, stderr = leadctl(t, nil, append([]string{"get", "nope"}, conn...)...); code != exitError || !strings.Contains(stderr, `no lead with id "nope"`) {
				t.Fatalf("get unknown: %d %q", code, stderr)
			}
			if got, _ := st.GetLead(context.Background(), l.ID); got.Stage != lead.StageQualified {
				t.Fatalf("stage %s after a refused touch", got.Stage)
			}
		})
	}
}

// TestServe runs the API standalone with `leadctl serve` and stops it with the context.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	write(t, tokens, "ci:serve-test-token-123456\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a tiny race with other processes for this port; acceptable in a test

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut strings.Builder
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--store", "sqlite://" + filepath.Join(dir, "leads.db"), "--token-file", tokens},
			env{stdout: &out, stderr: &syncWriter{w: &errOut}, getenv: func(string) string { return "" }})
	}()
	healthy := false
	for range 200 {
		resp, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == 200
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
	if !healthy {
		t.Fatal("the standalone server never answered /healthz")
	}
}

// syncWriter serializes writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

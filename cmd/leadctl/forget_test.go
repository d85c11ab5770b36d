package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestForgetAndVerify: forget erases through --store and --server, audit verify passes after the
// erasure, then names the row changed behind the store's back and exits 1.
func TestForgetAndVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leads.db")
	dsn := "sqlite://" + path
	st := openSQLite(t, path, store.Options{})
	ctx := context.Background()
	put := func(ext string) *lead.Lead {
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Email: ext + "@example.com", Name: "Jo " + ext, Source: "web"}, "import")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := put("a"), put("b")

	code, stdout, stderr := leadctl(t, nil, "forget", a.ID, "--store", dsn, "--actor", "privacy-desk")
	if code != exitOK || !strings.Contains(stdout, "erased the personal data of lead "+a.ID) {
		t.Fatalf("forget --store: %d %q %q", code, stdout, stderr)
	}
	tokens := filepath.Join(t.TempDir(), "tokens")
	write(t, tokens, "ops:s3cret-ops-token\n")
	url := serveAPI(t, st, tokens)
	code, stdout, stderr = leadctl(t, nil, "forget", "--external", "b", "--server", url, "--token-file", tokens)
	if code != exitOK || !strings.Contains(stdout, b.ID) {
		t.Fatalf("forget --server: %d %q %q", code, stdout, stderr)
	}
	for _, l := range []*lead.Lead{a, b} {
		got, err := st.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "" || got.Name != "" || got.Source != "web" {
			t.Errorf("lead %s after forget: %+v", l.ID, got)
		}
		evs, _ := st.Audit(ctx, l.ID)
		if last := evs[len(evs)-1]; last.Type != lead.EventErased {
			t.Errorf("lead %s: last event %+v, want erased", l.ID, last)
		}
	}
	if evs, _ := st.Audit(ctx, b.ID); evs[len(evs)-1].Actor != "ops" {
		t.Errorf("erasure through the API recorded actor %q, want the token's name ops", evs[len(evs)-1].Actor)
	}

	code, stdout, stderr = leadctl(t, nil, "audit", "verify", "--store", dsn)
	if code != exitOK || !strings.Contains(stdout, "ok: 2 leads") || !strings.Contains(stdout, "2 erasures") {
		t.Fatalf("audit verify after erasures: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr = leadctl(t, nil, "audit", "verify", "--server", url); code != exitUsage || !strings.Contains(stderr, "--store") {
		t.Errorf("audit verify --server: %d %q, want a usage error asking for --store", code, stderr)
	}

	// Tamper: the triggers dropped, the first event of lead b changed by hand.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first int64
	if err := db.QueryRow(`SELECT min(id) FROM audit_events WHERE lead_id = ?`, b.ID).Scan(&first); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`,
		fmt.Sprintf(`UPDATE audit_events SET actor = 'mallory' WHERE id = %d`, first)} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, _ = leadctl(t, nil, "audit", "verify", "--store", dsn)
	want := fmt.Sprintf("BROKEN: lead %s, event %d: hash mismatch", b.ID, first)
	if code != exitError || !strings.Contains(stdout, want) {
		t.Errorf("audit verify after tampering: %d %q, want exit 1 and %q", code, stdout, want)
	}
	code, stdout, _ = leadctl(t, nil, "audit", "verify", a.ID, "--store", dsn)
	if code != exitOK || !strings.Contains(stdout, "ok: 1 leads") {
		t.Errorf("audit verify of the untouched lead: %d %q", code, stdout)
	}
}

package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/sqlite"
)

// TestRetentionPass: a pass erases the leads closed longer ago than the retention, and only those;
// open leads never; the next pass finds nothing left until time moves on.
func TestRetentionPass(t *testing.T) {
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	storeNow := now
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "leads.db"),
		store.Options{Clock: func() time.Time { return storeNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	disqualified := func(ext string, at time.Time) *lead.Lead {
		storeNow = at
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Email: ext + "@example.com", Name: "Jo"}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityDisqualify, Actor: "rep", Reason: "no budget"}); err != nil {
			t.Fatal(err)
		}
		return l
	}
	old := disqualified("old", now.AddDate(0, -7, 0))
	recent := disqualified("recent", now.AddDate(0, -1, 0))
	storeNow = now.AddDate(-1, 0, 0)
	open, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "open", Email: "open@example.com"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	storeNow = now

	fake := clock.NewFake(now)
	r := &retention{st: st, retain: 180 * 24 * time.Hour, clock: fake, log: logr.Discard()}
	before := testutil.ToFloat64(personalDataErased)
	erased := func(l *lead.Lead) bool {
		got, err := st.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Email == ""
	}
	if n, err := r.pass(ctx); err != nil || n != 1 || !erased(old) || erased(recent) || erased(open) {
		t.Fatalf("pass = %d, %v; want the lead disqualified 7 months ago erased, not the one of last month nor the open one", n, err)
	}
	if n, err := r.pass(ctx); err != nil || n != 0 {
		t.Errorf("second pass = %d, %v; want nothing left", n, err)
	}
	fake.Set(now.AddDate(0, 6, 0))
	if n, err := r.pass(ctx); err != nil || n != 1 || !erased(recent) || erased(open) {
		t.Errorf("pass six months later = %d, %v; want the other disqualified lead erased, never the open one", n, err)
	}
	if got := testutil.ToFloat64(personalDataErased) - before; got != 2 {
		t.Errorf("leadops_personal_data_erased_total rose by %v, want 2", got)
	}
}

package writeback

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/postgres"
	"github.com/leadops/leadops/internal/store/sqlite"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sqliteFeed opens (or reopens) the SQLite lead store at path.
func sqliteFeed(t testing.TB, path string) store.Backend {
	t.Helper()
	st, err := sqlite.Open(ctxT(t), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// postgresFeed opens (or reopens) the PostgreSQL lead store at dsn.
func postgresFeed(t testing.TB, dsn string) store.Backend {
	t.Helper()
	st, err := postgres.Open(ctxT(t), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// routeInStore creates a lead with externalID and routes it to owner as the router does: one
// decision, qualified and routed, with the routed audit event the router writes.
func routeInStore(t testing.TB, st store.Backend, externalID, email, owner string) *lead.Lead {
	t.Helper()
	l, _, err := st.UpsertLead(ctxT(t), store.LeadInput{ExternalID: externalID, Email: email, Company: "Acme"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	next := *l
	next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, owner, "sales/emea", "sales/inbound", "r1"
	next.QualifiedAt, next.RoutedAt = &now, &now
	applied, conflicts, err := st.CommitDecisions(ctxT(t), []store.Decision{{Lead: &next, Via: []lead.Stage{lead.StageQualified},
		Events: []store.AuditEvent{
			{Actor: "controller", Type: lead.EventQualified, Data: map[string]any{"policy": next.Policy}},
			{Actor: "controller", Type: lead.EventRouted, Reason: "round robin",
				Data: map[string]any{"policy": next.Policy, "rule": "r1", "team": next.Team, "owner": owner}},
		}}})
	if err != nil || len(conflicts) > 0 || len(applied) != 1 {
		t.Fatalf("routing %s: applied %d, conflicts %v, err %v", externalID, len(applied), conflicts, err)
	}
	return applied[0]
}

// flakySave fails the next SaveCursor: a crash after the CRM acknowledged, before the cursor was saved.
type flakySave struct {
	store.Backend
	fail int
}

func (f *flakySave) SaveCursor(ctx context.Context, consumer, position string) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("the process died here")
	}
	return f.Backend.SaveCursor(ctx, consumer, position)
}

// TestWriteBackOnTheRealStores runs write-back against both lead store backends: leads routed as the
// router routes them, restarts on the same store, a reassignment, a crash before the cursor save.
func TestWriteBackOnTheRealStores(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "leads.db")
		testWriteBackOnStore(t, func() store.Backend { return sqliteFeed(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		testWriteBackOnStore(t, func() store.Backend { return postgresFeed(t, dsn) })
	})
}

func testWriteBackOnStore(t *testing.T, open func() store.Backend) {
	hs := newFakeHubSpot(t)
	conn := connection(t, crm.HubSpot, hs.srv.URL, 100)
	st := open()
	routeInStore(t, st, "hubspot:contact:11", "a@example.org", "ana")
	routeInStore(t, st, "salesforce:lead:00Q000000000011", "b@example.org", "ana")
	routeInStore(t, st, "", "c@example.org", "ana")
	mine := routeInStore(t, st, "hubspot:contact:12", "d@example.org", "bo")

	worker := func(f Feed, l Leads) *Worker {
		return &Worker{Conn: conn, CRM: NewCRM(conn, ClientOptions{}), Feed: f, Leads: l, RetryWait: time.Millisecond}
	}
	if err := worker(st, st).Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if len(hs.owners) != 2 || hs.owners["11"] != "ana" || hs.owners["12"] != "bo" {
		t.Fatalf("HubSpot received %v, want contacts 11 → ana and 12 → bo", hs.owners)
	}

	// Restart: a new process on the same file resumes after the saved cursor.
	_ = st.Close()
	st = open()
	if err := worker(st, st).Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"11", "12"} {
		if _, n := hs.written(id); n != 1 {
			t.Errorf("contact %s written %d times after a restart, want 1", id, n)
		}
	}

	// A reassignment recorded through Update reaches HubSpot; a crash before the cursor save
	// sends it once more after the restart, never zero times.
	cur, err := st.GetLead(ctxT(t), mine.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := *cur
	next.Owner = "cy"
	if _, err := st.Update(ctxT(t), &next, store.AuditEvent{Actor: "sla-clock", Type: lead.EventReassigned,
		Data: map[string]any{"policy": "sales/inbound", "from": "bo", "to": "cy"}}); err != nil {
		t.Fatal(err)
	}
	if err := worker(&flakySave{Backend: st, fail: 1}, st).Sync(ctxT(t)); err == nil {
		t.Fatal("Sync with a failing cursor save returned no error")
	}
	_ = st.Close()
	st = open()
	if err := worker(st, st).Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if owner, n := hs.written("12"); owner != "cy" || n != 3 {
		t.Errorf("contact 12: owner %q after %d writes, want cy after 3 (bo, cy, cy once more after the crash)", owner, n)
	}
	if cursor, err := st.LoadCursor(ctxT(t), "writeback/hubspot/hubspot-main"); err != nil || cursor == "" {
		t.Errorf("cursor of writeback/hubspot/hubspot-main = %q, %v; want a saved position", cursor, err)
	}
}

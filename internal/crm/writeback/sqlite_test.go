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
	"github.com/leadops/leadops/internal/store/sqlite"
)

// sqliteFeed opens (or reopens) the SQLite lead store at path.
func sqliteFeed(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(ctxT(t), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// routeInStore creates a lead with externalID and routes it to owner as the router does: one
// decision, qualified and routed, with the routed audit event the router writes.
func routeInStore(t testing.TB, st *sqlite.Store, externalID, email, owner string) *lead.Lead {
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
	*sqlite.Store
	fail int
}

func (f *flakySave) SaveCursor(ctx context.Context, consumer, position string) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("the process died here")
	}
	return f.Store.SaveCursor(ctx, consumer, position)
}

func TestWriteBackOnTheSQLiteStore(t *testing.T) {
	hs := newFakeHubSpot(t)
	conn := connection(t, crm.HubSpot, hs.srv.URL, 100)
	path := filepath.Join(t.TempDir(), "leads.db")
	st := sqliteFeed(t, path)
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
	st = sqliteFeed(t, path)
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
	if err := worker(&flakySave{Store: st, fail: 1}, st).Sync(ctxT(t)); err == nil {
		t.Fatal("Sync with a failing cursor save returned no error")
	}
	_ = st.Close()
	st = sqliteFeed(t, path)
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

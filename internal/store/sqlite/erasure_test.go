package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
)

// TestAuditErasureOnlyUpdate: the trigger lets exactly the erasure's update through (the lead
// marked in audit_erasures, reason and data replaced, erased set) and refuses everything else.
func TestAuditErasureOnlyUpdate(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	l, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: "a", Email: "a@example.com"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		mark  bool
		query string
		ok    bool
	}{
		{"erasure outside an erasure", false, `UPDATE audit_events SET data = '{}', reason = '', erased = 1`, false},
		{"erasure", true, `UPDATE audit_events SET data = '{}', reason = '', erased = 1`, true},
		{"data without the erased mark", true, `UPDATE audit_events SET data = '{}'`, false},
		{"actor", true, `UPDATE audit_events SET actor = 'x', erased = 1`, false},
		{"time", true, `UPDATE audit_events SET at = at + 1, erased = 1`, false},
		{"hash", true, `UPDATE audit_events SET hash = NULL, erased = 1`, false},
		{"delete", true, `DELETE FROM audit_events`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := s.w.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if tc.mark {
				if _, err := tx.Exec(`INSERT INTO audit_erasures (lead_id) VALUES (?)`, l.ID); err != nil {
					t.Fatal(err)
				}
			}
			_, err = tx.Exec(tc.query)
			if tc.ok && err != nil {
				t.Errorf("%s: %v, want it allowed", tc.query, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "append-only")) {
				t.Errorf("%s: %v, want it refused as append-only", tc.query, err)
			}
		})
	}
}

// TestAuditVerifyFindsTampering: a row changed behind the store's back (triggers dropped) breaks the
// chain at that row, and verify names the lead and the event; a legitimate erasure does not.
func TestAuditVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		erase  bool
		tamper string // ?1 is the lead id, ?2 the id of its second event
		at     int    // index of the event the break is reported at (-1: last)
		what   string
	}{
		{"data of an event", false, `UPDATE audit_events SET data = '{"source":"other"}' WHERE lead_id = ?1 AND id = ?2`, 1, "content digest"},
		{"reason of an event", false, `UPDATE audit_events SET reason = 'edited' WHERE lead_id = ?1 AND id = ?2`, 1, "content digest"},
		{"actor of an event", false, `UPDATE audit_events SET actor = 'someone-else' WHERE lead_id = ?1 AND id = ?2`, 1, "hash mismatch"},
		{"an event removed", false, `DELETE FROM audit_events WHERE lead_id = ?1 AND id = ?2`, 2, "hash mismatch"},
		{"data of an erased event", true, `UPDATE audit_events SET data = '{"owner":"rep-9"}' WHERE lead_id = ?1 AND erased AND ?2 > 0`, -1, "redacted digest"},
		{"erased mark without erasure", false, `UPDATE audit_events SET erased = 1, reason = '' WHERE lead_id = ?1 AND id = ?2`, 1, "without an erasure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			ctx := context.Background()
			l := storetest.ActiveLead(t, s)
			if tc.erase {
				if _, err := s.ErasePersonalData(ctx, l.ID, "ops"); err != nil {
					t.Fatal(err)
				}
				if _, brk := storetest.VerifyStore(t, s, ""); brk != nil {
					t.Fatalf("verify after a legitimate erasure: %v", brk)
				}
			}
			ids := eventIDs(t, s, l.ID)
			for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`} {
				if _, err := s.w.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.w.ExecContext(ctx, tc.tamper, l.ID, ids[1]); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			_, brk := storetest.VerifyStore(t, s, "")
			if brk == nil {
				t.Fatal("verify passed after tampering")
			}
			wantID := ids[len(ids)-1]
			if tc.at >= 0 {
				wantID = ids[tc.at]
			}
			if brk.LeadID != l.ID || brk.EventID != wantID || !strings.Contains(brk.What, tc.what) {
				t.Errorf("break = %v, want lead %s event %d: %s", brk, l.ID, wantID, tc.what)
			}
		})
	}
}

func eventIDs(t *testing.T, s *Store, leadID string) []int64 {
	t.Helper()
	rows, err := s.r.Query(`SELECT id FROM audit_events WHERE lead_id = ? ORDER BY id`, leadID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

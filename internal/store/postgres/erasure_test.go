package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
)

// TestAuditErasureOnlyUpdate: the trigger lets exactly the erasure's update through (inside
// audit_erase_begin's transaction, reason and data replaced, erased set) and refuses everything else.
func TestAuditErasureOnlyUpdate(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	if _, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: "a", Email: "a@example.com"}, "test"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flag  bool
		query string
		ok    bool
	}{
		{"erasure outside an erasure", false, `UPDATE audit_events SET data = '{}', reason = '', erased = true`, false},
		{"erasure", true, `UPDATE audit_events SET data = '{}', reason = '', erased = true`, true},
		{"data without the erased mark", true, `UPDATE audit_events SET data = '{}'`, false},
		{"actor", true, `UPDATE audit_events SET actor = 'x', erased = true`, false},
		{"time", true, `UPDATE audit_events SET at = at + interval '1s', erased = true`, false},
		{"hash", true, `UPDATE audit_events SET hash = NULL, erased = true`, false},
		{"delete", true, `DELETE FROM audit_events`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if tc.flag {
					if _, err := tx.Exec(ctx, `SELECT audit_erase_begin()`); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, tc.query); err != nil {
					return err
				}
				return errRollback
			})
			if tc.ok && err != errRollback {
				t.Errorf("%s: %v, want it allowed", tc.query, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "append-only")) {
				t.Errorf("%s: %v, want it refused as append-only", tc.query, err)
			}
		})
	}
}

type rollback struct{}

func (rollback) Error() string { return "rollback" }

var errRollback error = rollback{}

// TestAuditVerifyFindsTampering: a row changed behind the store's back (triggers disabled) breaks
// the chain at that row, and verify names the lead and the event; a legitimate erasure does not.
func TestAuditVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		erase  bool
		tamper string // $1 is the lead id, $2 the id of its second event
		at     int    // index of the event the break is reported at (-1: last)
		what   string
	}{
		{"data of an event", false, `UPDATE audit_events SET data = '{"source":"other"}' WHERE lead_id = $1::uuid AND id = $2::bigint`, 1, "content digest"},
		{"reason of an event", false, `UPDATE audit_events SET reason = 'edited' WHERE lead_id = $1::uuid AND id = $2::bigint`, 1, "content digest"},
		{"actor of an event", false, `UPDATE audit_events SET actor = 'someone-else' WHERE lead_id = $1::uuid AND id = $2::bigint`, 1, "hash mismatch"},
		{"an event removed", false, `DELETE FROM audit_events WHERE lead_id = $1::uuid AND id = $2::bigint`, 1, "hash mismatch"},
		{"data of an erased event", true, `UPDATE audit_events SET data = '{"owner":"rep-9"}' WHERE lead_id = $1::uuid AND erased AND $2::bigint > 0`, -1, "redacted digest"},
		{"erased mark without erasure", false, `UPDATE audit_events SET erased = true, reason = '' WHERE lead_id = $1::uuid AND id = $2::bigint`, 1, "without an erasure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openFresh(t)
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
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, tc.tamper, l.ID, ids[1])
				return err
			})
			if err != nil {
				t.Fatalf("tamper: %v", err)
			}
			_, brk := storetest.VerifyStore(t, s, "")
			if brk == nil {
				t.Fatal("verify passed after tampering")
			}
			at := tc.at
			if tc.name == "an event removed" {
				at = 2 // the event after the removed one
			}
			wantID := ids[len(ids)-1]
			if at >= 0 {
				wantID = ids[at]
			}
			if tc.erase {
				wantID = ids[len(ids)-1] // the erased event covering the changed rows
			}
			if brk.LeadID != l.ID || brk.EventID != wantID || !strings.Contains(brk.What, tc.what) {
				t.Errorf("break = %v, want lead %s event %d: %s", brk, l.ID, wantID, tc.what)
			}
		})
	}
}

func eventIDs(t *testing.T, s *Store, leadID string) []int64 {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT id FROM audit_events WHERE lead_id = $1 ORDER BY id`, leadID)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

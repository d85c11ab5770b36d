package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// ErasePersonalData erases a lead and its duplicates (store.ErasedLead, store.RedactedEvent) and
// records an erased event on each, in one transaction (docs/privacy.md).
func (s *Store) ErasePersonalData(ctx context.Context, leadID, actor string) (store.Erasure, error) {
	if err := core.CheckActor(actor); err != nil {
		return store.Erasure{}, err
	}
	now := s.opts.Now()
	out := store.Erasure{At: now}
	err := s.write(ctx, func(tx *sql.Tx) error {
		ids, err := collectIDs(ctx, tx, `SELECT id FROM leads WHERE id = ?1
			UNION ALL SELECT * FROM (SELECT id FROM leads WHERE duplicate_of = ?1 ORDER BY id)`, leadID)
		if err != nil {
			return err
		}
		if len(ids) == 0 || ids[0] != leadID {
			return fmt.Errorf("lead %s: %w", leadID, store.ErrNotFound)
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE leads SET email = '', name = '', phone = '', company = '', domain = '',
				attributes = '{}', original = '{}', duplicate_key = '', reason = '', erased_at = ?2, updated_at = ?2,
				version = version + 1 WHERE id = ?1`, id, now.UnixMicro()); err != nil {
				return err
			}
			chain, err := readChain(ctx, tx, id)
			if err != nil {
				return err
			}
			var redacted []store.ChainRow
			for _, r := range chain {
				if r.Erased {
					continue
				}
				ev, changed := store.RedactedEvent(r.AuditEvent)
				if !changed {
					continue
				}
				d, err := store.CanonicalAuditData(ev.Data)
				if err != nil {
					return err
				}
				if len(redacted) == 0 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO audit_erasures (lead_id) VALUES (?)`, id); err != nil {
						return err
					}
				}
				if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET reason = ?, data = ?, erased = 1 WHERE id = ?`,
					ev.Reason, d, r.ID); err != nil {
					return err
				}
				r.AuditEvent, r.Erased = ev, true
				redacted = append(redacted, r)
			}
			if len(redacted) > 0 {
				if _, err := tx.ExecContext(ctx, `DELETE FROM audit_erasures WHERE lead_id = ?`, id); err != nil {
					return err
				}
			}
			ev, err := store.ErasedEvent(id, actor, now, redacted)
			if err != nil {
				return err
			}
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
			out.Events += len(redacted)
		}
		out.LeadIDs = ids
		return nil
	})
	if err != nil {
		return store.Erasure{}, fmt.Errorf("erase personal data of lead %s: %w", leadID, err)
	}
	s.hub.Publish(out.LeadIDs...)
	return out, nil
}

// ErasableLeads returns the closed leads (store.ErasableStages) closed before t whose personal data
// is not erased, oldest first (leads_erasable_idx).
func (s *Store) ErasableLeads(ctx context.Context, closedBefore time.Time, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM leads
		WHERE erased_at IS NULL AND stage IN ('won', 'lost', 'disqualified') AND coalesce(closed_at, updated_at) < ?
		ORDER BY coalesce(closed_at, updated_at), id LIMIT ?`, closedBefore.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("erasable leads: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("erasable leads: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AuditChain streams the audit rows with their digests, lead by lead (docs/audit-chain.md).
func (s *Store) AuditChain(ctx context.Context, leadID string, fn func(string, []store.ChainRow) error) error {
	if leadID != "" {
		if _, err := s.GetLead(ctx, leadID); err != nil {
			return fmt.Errorf("audit chain: %w", err)
		}
		chain, err := readChain(ctx, s.r, leadID)
		if err != nil || len(chain) == 0 {
			return err
		}
		return fn(leadID, chain)
	}
	rows, err := s.r.QueryContext(ctx, chainSelect+` ORDER BY lead_id, id`)
	if err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	defer rows.Close()
	var (
		cur   string
		chain []store.ChainRow
	)
	for rows.Next() {
		r, err := scanChainRow(rows)
		if err != nil {
			return err
		}
		if r.LeadID != cur && chain != nil {
			if err := fn(cur, chain); err != nil {
				return err
			}
			chain = nil
		}
		cur = r.LeadID
		chain = append(chain, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	if chain != nil {
		return fn(cur, chain)
	}
	return nil
}

const chainSelect = `SELECT id, lead_id, at, actor, type, reason, data, content_hash, hash, erased FROM audit_events`

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readChain(ctx context.Context, q queryer, leadID string) ([]store.ChainRow, error) {
	rows, err := q.QueryContext(ctx, chainSelect+` WHERE lead_id = ? ORDER BY id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("audit chain of lead %s: %w", leadID, err)
	}
	defer rows.Close()
	var out []store.ChainRow
	for rows.Next() {
		r, err := scanChainRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanChainRow(rows *sql.Rows) (store.ChainRow, error) {
	var (
		r    store.ChainRow
		at   int64
		data string
	)
	if err := rows.Scan(&r.ID, &r.LeadID, &at, &r.Actor, &r.Type, &r.Reason, &data, &r.Content, &r.Hash, &r.Erased); err != nil {
		return r, fmt.Errorf("audit chain: %w", err)
	}
	r.At = fromMicros(at)
	if data != "{}" {
		if err := json.Unmarshal([]byte(data), &r.Data); err != nil {
			return r, fmt.Errorf("audit chain of lead %s: event %d: %w", r.LeadID, r.ID, err)
		}
	}
	return r, nil
}

func collectIDs(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

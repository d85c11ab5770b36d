package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	if !core.ValidID(leadID) {
		return store.Erasure{}, fmt.Errorf("erase personal data of lead %q: %w", leadID, store.ErrNotFound)
	}
	err := pgx.BeginTxFunc(ctx, s.pool, batchTx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text FROM leads WHERE id = $1::text::uuid
			UNION ALL (SELECT id::text FROM leads WHERE duplicate_of = $1::text ORDER BY id)`, leadID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(ids) == 0 || ids[0] != leadID {
			return fmt.Errorf("lead %s: %w", leadID, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM leads WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE`, ids); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET email = '', name = '', phone = '', company = '', domain = '',
			attributes = '{}', original = '{}', duplicate_key = '', reason = '', erased_at = $2, updated_at = $2,
			version = version + 1, change_seq = nextval('lead_change_seq')
			WHERE id = ANY($1::text[]::uuid[])`, ids, now); err != nil {
			return err
		}
		chains := map[string][]store.ChainRow{}
		if err := scanChains(ctx, tx, `WHERE lead_id = ANY($1::text[]::uuid[]) ORDER BY lead_id, id`, []any{ids}, func(id string, rs []store.ChainRow) error {
			chains[id] = rs
			return nil
		}); err != nil {
			return err
		}
		var (
			upIDs              []int64
			upReasons, upDatas []string
			events             []store.AuditEvent
		)
		for _, id := range ids {
			var redacted []store.ChainRow
			for _, r := range chains[id] {
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
				upIDs, upReasons, upDatas = append(upIDs, r.ID), append(upReasons, ev.Reason), append(upDatas, d)
				r.AuditEvent, r.Erased = ev, true
				redacted = append(redacted, r)
			}
			ev, err := store.ErasedEvent(id, actor, now, redacted)
			if err != nil {
				return err
			}
			events = append(events, ev)
			out.Events += len(redacted)
		}
		if len(upIDs) > 0 {
			if _, err := tx.Exec(ctx, `SELECT audit_erase_begin()`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE audit_events a SET reason = u.reason, data = u.data::jsonb, erased = true
				FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, reason, data) WHERE a.id = u.id`,
				upIDs, upReasons, upDatas); err != nil {
				return err
			}
		}
		out.LeadIDs = ids
		return recordAndNotifySeqs(ctx, tx, ids, nil, events, nil)
	})
	if err != nil {
		return store.Erasure{}, fmt.Errorf("erase personal data of lead %s: %w", leadID, err)
	}
	return out, nil
}

// ErasableLeads returns the closed leads (store.ErasableStages) closed before t whose personal data
// is not erased, oldest first (leads_erasable_idx).
func (s *Store) ErasableLeads(ctx context.Context, closedBefore time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM leads
		WHERE erased_at IS NULL AND stage IN ('won', 'lost', 'disqualified') AND coalesce(closed_at, updated_at) < $1
		ORDER BY coalesce(closed_at, updated_at), id LIMIT $2`, closedBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("erasable leads: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("erasable leads: %w", err)
	}
	return ids, nil
}

// AuditChain streams the audit rows with their digests, lead by lead (docs/audit-chain.md).
func (s *Store) AuditChain(ctx context.Context, leadID string, fn func(string, []store.ChainRow) error) error {
	if leadID != "" {
		if _, err := s.GetLead(ctx, leadID); err != nil {
			return fmt.Errorf("audit chain: %w", err)
		}
		return scanChains(ctx, s.pool, `WHERE lead_id = $1 ORDER BY lead_id, id`, []any{leadID}, fn)
	}
	return scanChains(ctx, s.pool, `ORDER BY lead_id, id`, nil, fn)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// scanChains reads audit rows ordered by lead and id and calls fn once per lead.
func scanChains(ctx context.Context, q querier, where string, args []any, fn func(string, []store.ChainRow) error) error {
	rows, err := q.Query(ctx, `SELECT id, lead_id::text, at, actor, type, reason, data::text, content_hash, hash, erased
		FROM audit_events `+where, args...)
	if err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	defer rows.Close()
	var (
		cur   string
		chain []store.ChainRow
	)
	for rows.Next() {
		var (
			r    store.ChainRow
			data string
		)
		if err := rows.Scan(&r.ID, &r.LeadID, &r.At, &r.Actor, &r.Type, &r.Reason, &data, &r.Content, &r.Hash, &r.Erased); err != nil {
			return fmt.Errorf("audit chain: %w", err)
		}
		r.At = r.At.UTC()
		if data != "{}" {
			if err := json.Unmarshal([]byte(data), &r.Data); err != nil {
				return fmt.Errorf("audit chain of lead %s: event %d: %w", r.LeadID, r.ID, err)
			}
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

package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// recordAndNotify appends the audit events and queues one NOTIFY per 150 written leads, in the
// caller's transaction: PostgreSQL delivers the notifications only if it commits.
func recordAndNotify(ctx context.Context, tx pgx.Tx, written []*lead.Lead, events []store.AuditEvent) error {
	ids := make([]string, len(written))
	for i, l := range written {
		ids[i] = l.ID
	}
	return recordAndNotifySeqs(ctx, tx, ids, nil, events, nil)
}

// recordAndNotifySeqs is recordAndNotify for a writer that knows the change_seq of each written
// lead (seqs[i] of written[i], from its RETURNING clause), or nil to have them read back, and may
// have computed the events' digests already (digests[i] of events[i], or nil).
func recordAndNotifySeqs(ctx context.Context, tx pgx.Tx, written []string, seqs []int64, events []store.AuditEvent, digests []auditDigest) error {
	b := &pgx.Batch{}
	if err := queueRecordAndNotify(b, written, seqs, events, digests); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// notifyChunk is how many "id:seq" entries one NOTIFY carries: 150 stay under PostgreSQL's
// 8000-byte payload limit, and a thousand separate notifications would cost a batch more than its
// own insert.
const notifyChunk = 150

// auditDigest is the part of an audit row Go computes: the canonical data and the content and
// entry digests. The chain hash needs the lead's head, which audit_append reads in the database
// (docs/audit-chain.md).
type auditDigest struct {
	data           string
	content, entry [store.HashSize]byte
}

func digestEvent(ev store.AuditEvent) (auditDigest, error) {
	d, err := store.CanonicalAuditData(ev.Data)
	if err != nil {
		return auditDigest{}, &store.FieldError{Path: "data", Message: "audit data not representable as JSON"}
	}
	c := store.ContentHash(ev.Reason, d)
	return auditDigest{data: d, content: c, entry: store.EntryHash(ev.LeadID, ev.At.UnixMicro(), ev.Actor, ev.Type, c[:])}, nil
}

// queueRecordAndNotify queues recordAndNotify's statements on b, for callers that pipeline them
// behind their own writes. seqs are the written leads' change_seq values, or nil to read them back;
// digests are the events' digests, or nil to compute them here.
func queueRecordAndNotify(b *pgx.Batch, written []string, seqs []int64, events []store.AuditEvent, digests []auditDigest) error {
	if len(events) > 0 {
		n := len(events)
		leadIDs, ats := make([]string, n), make([]time.Time, n)
		actors, types, reasons, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		contents, entries := make([][]byte, n), make([][]byte, n)
		for i, ev := range events {
			var dg *auditDigest
			if digests != nil {
				dg = &digests[i]
			} else {
				d, err := digestEvent(ev)
				if err != nil {
					return err
				}
				dg = &d
			}
			leadIDs[i], ats[i], actors[i], types[i], reasons[i], data[i] = ev.LeadID, ev.At, ev.Actor, ev.Type, ev.Reason, dg.data
			contents[i], entries[i] = dg.content[:], dg.entry[:]
		}
		if hashes, ok := chainNewLeads(events, entries); ok {
			// Every lead of the batch is new (its first event here is "created"): no head to read,
			// so the links are computed here, as audit_append would, and the rows go in directly.
			b.Queue(`INSERT INTO audit_events (lead_id, at, actor, type, reason, data, content_hash, hash)
				SELECT lead_id::uuid, at, actor, type, reason, data::jsonb, content, hash
				FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[])
				WITH ORDINALITY AS e(lead_id, at, actor, type, reason, data, content, hash, ord) ORDER BY ord`,
				leadIDs, ats, actors, types, reasons, data, contents, hashes)
		} else {
			b.Queue(`SELECT audit_append($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[])`,
				leadIDs, ats, actors, types, reasons, data, contents, entries)
		}
	}
	switch {
	case len(written) == 0:
	case seqs != nil:
		var payload []byte
		for i, id := range written {
			payload = append(append(append(payload, id...), ':'), strconv.FormatInt(seqs[i], 10)...)
			if (i+1)%notifyChunk == 0 || i == len(written)-1 {
				b.Queue(`SELECT pg_notify($1, $2)`, channel, string(payload))
				payload = payload[:0]
			} else {
				payload = append(payload, ',')
			}
		}
	default:
		b.Queue(`SELECT pg_notify($1, string_agg(t.id::text || ':' || t.change_seq, ','))
			FROM (SELECT id, change_seq, (row_number() OVER () - 1) / $3 AS chunk
			      FROM leads WHERE id = ANY($2::text[]::uuid[])) t
			GROUP BY t.chunk`, channel, written, notifyChunk)
	}
	return nil
}

// Audit returns the audit trail of a lead, oldest first.
func (s *Store) Audit(ctx context.Context, leadID string) ([]store.AuditEvent, error) {
	if _, err := s.GetLead(ctx, leadID); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, lead_id::text, at, actor, type, reason, data::text
		FROM audit_events WHERE lead_id = $1 ORDER BY id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
	}
	defer rows.Close()
	out := []store.AuditEvent{}
	for rows.Next() {
		var (
			ev   store.AuditEvent
			data string
		)
		if err := rows.Scan(&ev.ID, &ev.LeadID, &ev.At, &ev.Actor, &ev.Type, &ev.Reason, &data); err != nil {
			return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
		}
		ev.At = ev.At.UTC()
		if data != "{}" {
			if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
				return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
			}
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
	}
	return out, nil
}

// chainNewLeads links events whose leads all begin their chain in this batch (each lead's first event
// here is "created", which the store writes only with the lead's insert), the way audit_append does:
// from the zero hash, in batch order per lead. ok is false when some lead needs its stored head.
func chainNewLeads(events []store.AuditEvent, entries [][]byte) (hashes [][]byte, ok bool) {
	head := make(map[string][]byte, len(events))
	hashes = make([][]byte, len(events))
	for i, ev := range events {
		prev, seen := head[ev.LeadID]
		if !seen && ev.Type != store.EventCreated {
			return nil, false
		}
		h := store.ChainHash(prev, [store.HashSize]byte(entries[i]))
		head[ev.LeadID], hashes[i] = h[:], h[:]
	}
	return hashes, true
}

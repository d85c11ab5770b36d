package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leadops/leadops/internal/store"
)

const (
	insertAuditSQL = `INSERT INTO audit_events (lead_id, at, actor, type, reason, data, content_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	// auditHeadSQL reads a lead's chain head: one writer at a time on SQLite, so it cannot move
	// before the insert that follows in the same transaction.
	auditHeadSQL = `SELECT hash FROM audit_events WHERE lead_id = ? AND hash IS NOT NULL ORDER BY id DESC LIMIT 1`
)

func insertAudit(ctx context.Context, tx *sql.Tx, ev store.AuditEvent) error {
	prev, err := auditHead(ctx, tx.QueryRowContext(ctx, auditHeadSQL, ev.LeadID))
	if err != nil {
		return err
	}
	args, err := auditArgs(prev, ev)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, insertAuditSQL, args...)
	return err
}

func auditHead(ctx context.Context, row *sql.Row) ([]byte, error) {
	var h []byte
	if err := row.Scan(&h); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read audit chain head: %w", err)
	}
	return h, nil
}

// auditArgs are the insert's arguments for ev chained after prev (its lead's head, nil for none).
func auditArgs(prev []byte, ev store.AuditEvent) ([]any, error) {
	dg, data, err := store.ChainEvent(prev, ev)
	if err != nil {
		return nil, &store.FieldError{Path: "data", Message: "audit data not representable as JSON"}
	}
	return []any{ev.LeadID, ev.At.UnixMicro(), ev.Actor, ev.Type, ev.Reason, data, dg.Content[:], dg.Hash[:]}, nil
}

// Audit returns the audit trail of a lead, oldest first.
func (s *Store) Audit(ctx context.Context, leadID string) ([]store.AuditEvent, error) {
	if _, err := s.GetLead(ctx, leadID); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, lead_id, at, actor, type, reason, data FROM audit_events WHERE lead_id = ? ORDER BY id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
	}
	defer rows.Close()
	out := []store.AuditEvent{}
	for rows.Next() {
		var (
			ev   store.AuditEvent
			at   int64
			data string
		)
		if err := rows.Scan(&ev.ID, &ev.LeadID, &at, &ev.Actor, &ev.Type, &ev.Reason, &data); err != nil {
			return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
		}
		ev.At = fromMicros(at)
		if data != "{}" {
			if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
				return nil, fmt.Errorf("audit of lead %s: %w", leadID, err)
			}
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

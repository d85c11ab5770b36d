package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/leadops/leadops/internal/store"
)

const insertAuditSQL = `INSERT INTO audit_events (lead_id, at, actor, type, reason, data) VALUES (?, ?, ?, ?, ?, ?)`

func insertAudit(ctx context.Context, tx *sql.Tx, ev store.AuditEvent) error {
	args, err := auditArgs(ev)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, insertAuditSQL, args...)
	return err
}

func auditArgs(ev store.AuditEvent) ([]any, error) {
	data := "{}"
	if len(ev.Data) > 0 {
		b, err := json.Marshal(ev.Data)
		if err != nil {
			return nil, &store.FieldError{Path: "data", Message: "audit data not representable as JSON"}
		}
		data = string(b)
	}
	return []any{ev.LeadID, ev.At.UnixMicro(), ev.Actor, ev.Type, ev.Reason, data}, nil
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

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// writeLeadSQL rewrites every mutable column of a lead, guarded by its version.
const writeLeadSQL = `UPDATE leads SET email = ?, name = ?, company = ?, domain = ?, country = ?,
	industry = ?, employees = ?, source = ?, campaign = ?, score = ?, attributes = ?, stage = ?,
	owner = ?, team = ?, policy = ?, reason = ?, amount = ?, reassignment_count = ?, updated_at = ?,
	qualified_at = ?, routed_at = ?, touched_at = ?, accepted_at = ?, rejected_at = ?, closed_at = ?,
	first_touch_due = ?, acceptance_due = ?, rule = ?, first_touch_warn = ?, acceptance_warn = ?,
	first_touch_breached_at = ?, acceptance_breached_at = ?, breach_count = ?, last_breach_at = ?,
	previous_owners = ?, version = version + 1
WHERE id = ? AND version = ?`

// Apply records an activity. The write transaction holds SQLite's write lock from BEGIN, so the
// read-check-write below cannot interleave with another writer: no lost updates.
func (s *Store) Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error) {
	if !core.ValidID(leadID) {
		return nil, fmt.Errorf("apply %s to lead %q: %w", a.Kind, leadID, store.ErrNotFound)
	}
	var out *lead.Lead
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := getForWrite(ctx, tx, leadID)
		if err != nil {
			return err
		}
		next, ev, err := core.ApplyActivity(cur, a, s.opts.Now())
		if err != nil {
			return err
		}
		if out, err = writeLead(ctx, tx, next, cur.Version); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("apply %s to lead %s: %w", a.Kind, leadID, err)
	}
	s.hub.Publish(out.ID)
	return out, nil
}

// Update is a compare-and-swap write of l plus its audit events, in one transaction.
func (s *Store) Update(ctx context.Context, l *lead.Lead, events ...store.AuditEvent) (*lead.Lead, error) {
	if l == nil || !core.ValidID(l.ID) {
		return nil, fmt.Errorf("update lead: %w", store.ErrNotFound)
	}
	var out *lead.Lead
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := getForWrite(ctx, tx, l.ID)
		if err != nil {
			return err
		}
		next, evs, err := core.PrepareUpdate(cur, l, events, s.opts.Now())
		if err != nil {
			return err
		}
		if out, err = writeLead(ctx, tx, next, cur.Version); err != nil {
			return err
		}
		for _, ev := range evs {
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update lead %s: %w", l.ID, err)
	}
	s.hub.Publish(out.ID)
	return out, nil
}

func getForWrite(ctx context.Context, tx *sql.Tx, id string) (*lead.Lead, error) {
	l, err := scanLead(tx.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return l, err
}

func writeLead(ctx context.Context, tx *sql.Tx, l *lead.Lead, version int64) (*lead.Lead, error) {
	args, err := writeLeadArgs(l, version)
	if err != nil {
		return nil, err
	}
	out, err := scanLead(tx.QueryRowContext(ctx, writeLeadSQL+` RETURNING `+leadColumns, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrConflict
	}
	return out, err
}

// writeLeadArgs are writeLeadSQL's arguments for writing l over the stored version.
func writeLeadArgs(l *lead.Lead, version int64) ([]any, error) {
	attrs, err := attributesJSON(l.Attributes)
	if err != nil {
		return nil, &store.FieldError{Field: "attributes", Message: "not representable as JSON"}
	}
	return []any{l.Email, l.Name, l.Company, l.Domain,
		l.Country, l.Industry, l.Employees, l.Source, l.Campaign, l.Score, attrs, string(l.Stage),
		l.Owner, l.Team, l.Policy, l.Reason, l.Amount, l.ReassignmentCount, l.UpdatedAt.UnixMicro(),
		micros(l.QualifiedAt), micros(l.RoutedAt), micros(l.TouchedAt), micros(l.AcceptedAt),
		micros(l.RejectedAt), micros(l.ClosedAt), micros(l.FirstTouchDue), micros(l.AcceptanceDue),
		l.Rule, micros(l.FirstTouchWarn), micros(l.AcceptanceWarn), micros(l.FirstTouchBreachedAt),
		micros(l.AcceptanceBreachedAt), l.BreachCount, micros(l.LastBreachAt),
		core.PreviousOwnersJSON(l.PreviousOwners), l.ID, version}, nil
}

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
			return nil, &store.FieldError{Field: "data", Message: "audit data not representable as JSON"}
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

// UpsertAccount creates or replaces the account of a domain.
func (s *Store) UpsertAccount(ctx context.Context, a store.Account) error {
	a, err := store.NormalizeAccount(a)
	if err != nil {
		return err
	}
	now := s.opts.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (domain, name, owner, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain) DO UPDATE SET name = excluded.name, owner = excluded.owner, updated_at = excluded.updated_at`,
			a.Domain, a.Name, a.Owner, now.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("upsert account: %w", err)
	}
	return nil
}

// GetAccount returns the account of a domain.
func (s *Store) GetAccount(ctx context.Context, domain string) (*store.Account, error) {
	var (
		a  store.Account
		at int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT domain, name, owner, updated_at FROM accounts WHERE domain = ?`,
		strings.ToLower(strings.TrimSpace(domain))).Scan(&a.Domain, &a.Name, &a.Owner, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get account %q: %w", domain, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %q: %w", domain, err)
	}
	a.UpdatedAt = fromMicros(at)
	return &a, nil
}

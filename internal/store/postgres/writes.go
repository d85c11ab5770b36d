package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// writeLeadSQL rewrites every mutable column of a lead, guarded by its version.
const writeLeadSQL = `UPDATE leads SET email = $1, name = $2, company = $3, domain = $4, country = $5,
	industry = $6, employees = $7, source = $8, campaign = $9, score = $10, attributes = $11::jsonb,
	stage = $12, owner = $13, team = $14, policy = $15, reason = $16, amount = $17,
	reassignment_count = $18, updated_at = $19, qualified_at = $20, routed_at = $21, touched_at = $22,
	accepted_at = $23, rejected_at = $24, closed_at = $25, first_touch_due = $26, acceptance_due = $27,
	rule = $28, first_touch_warn = $29, acceptance_warn = $30, first_touch_breached_at = $31,
	acceptance_breached_at = $32, breach_count = $33, last_breach_at = $34, previous_owners = $35::jsonb,
	version = version + 1, change_seq = nextval('lead_change_seq')
WHERE id = $36 AND version = $37
RETURNING ` + leadColumns

// Apply records an activity. The row lock taken by SELECT … FOR UPDATE makes concurrent Apply calls
// on one lead queue up instead of overwriting each other.
func (s *Store) Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error) {
	if !core.ValidID(leadID) {
		return nil, fmt.Errorf("apply %s to lead %q: %w", a.Kind, leadID, store.ErrNotFound)
	}
	var out *lead.Lead
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := getForUpdate(ctx, tx, leadID)
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
		return recordAndNotify(ctx, tx, []*lead.Lead{out}, []store.AuditEvent{ev})
	})
	if err != nil {
		return nil, fmt.Errorf("apply %s to lead %s: %w", a.Kind, leadID, err)
	}
	return out, nil
}

// Update is a compare-and-swap write of l plus its audit events, in one transaction.
func (s *Store) Update(ctx context.Context, l *lead.Lead, events ...store.AuditEvent) (*lead.Lead, error) {
	if l == nil || !core.ValidID(l.ID) {
		return nil, fmt.Errorf("update lead: %w", store.ErrNotFound)
	}
	var out *lead.Lead
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := getForUpdate(ctx, tx, l.ID)
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
		return recordAndNotify(ctx, tx, []*lead.Lead{out}, evs)
	})
	if err != nil {
		return nil, fmt.Errorf("update lead %s: %w", l.ID, err)
	}
	return out, nil
}

func getForUpdate(ctx context.Context, tx pgx.Tx, id string) (*lead.Lead, error) {
	l, err := scanLead(tx.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return l, err
}

func writeLead(ctx context.Context, tx pgx.Tx, l *lead.Lead, version int64) (*lead.Lead, error) {
	attrs, err := jsonText(l.Attributes)
	if err != nil {
		return nil, &store.FieldError{Field: "attributes", Message: "not representable as JSON"}
	}
	out, err := scanLead(tx.QueryRow(ctx, writeLeadSQL, l.Email, l.Name, l.Company, l.Domain, l.Country,
		l.Industry, l.Employees, l.Source, l.Campaign, l.Score, attrs, string(l.Stage), l.Owner, l.Team,
		l.Policy, l.Reason, l.Amount, l.ReassignmentCount, l.UpdatedAt, l.QualifiedAt, l.RoutedAt,
		l.TouchedAt, l.AcceptedAt, l.RejectedAt, l.ClosedAt, l.FirstTouchDue, l.AcceptanceDue, l.Rule,
		l.FirstTouchWarn, l.AcceptanceWarn, l.FirstTouchBreachedAt, l.AcceptanceBreachedAt, l.BreachCount,
		l.LastBreachAt, core.PreviousOwnersJSON(l.PreviousOwners), l.ID, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrConflict
	}
	return out, err
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

// UpsertAccount creates or replaces the account of a domain.
func (s *Store) UpsertAccount(ctx context.Context, a store.Account) error {
	a, err := store.NormalizeAccount(a)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO accounts (domain, name, owner, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (domain) DO UPDATE SET name = excluded.name, owner = excluded.owner, updated_at = excluded.updated_at`,
		a.Domain, a.Name, a.Owner, s.opts.Now()); err != nil {
		return fmt.Errorf("upsert account: %w", err)
	}
	return nil
}

// GetAccount returns the account of a domain.
func (s *Store) GetAccount(ctx context.Context, domain string) (*store.Account, error) {
	var (
		a  store.Account
		at time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT domain, name, owner, updated_at FROM accounts WHERE domain = $1`,
		strings.ToLower(strings.TrimSpace(domain))).Scan(&a.Domain, &a.Name, &a.Owner, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get account %q: %w", domain, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %q: %w", domain, err)
	}
	a.UpdatedAt = at.UTC()
	return &a, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// upsertSQL inserts, or on a known external id rewrites the marketing fields only when one of them
// differs, so that repeating an input bumps nothing. ON CONFLICT (not read-then-insert) keeps two
// concurrent writers of one external id from creating two leads.
const upsertSQL = `INSERT INTO leads (id, external_id, email, name, company, domain, country, industry,
	employees, source, campaign, score, attributes, stage, created_at, updated_at, version, duplicate_of,
	phone, original, duplicate_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, 1, ?, ?, ?, ?)
ON CONFLICT (external_id) DO UPDATE SET email = excluded.email, name = excluded.name,
	company = excluded.company, domain = excluded.domain, country = excluded.country,
	industry = excluded.industry, employees = excluded.employees, source = excluded.source,
	campaign = excluded.campaign, score = excluded.score, attributes = excluded.attributes,
	phone = excluded.phone, original = excluded.original,
	updated_at = excluded.updated_at, version = leads.version + 1
WHERE leads.email IS NOT excluded.email OR leads.name IS NOT excluded.name
	OR leads.company IS NOT excluded.company OR leads.domain IS NOT excluded.domain
	OR leads.country IS NOT excluded.country OR leads.industry IS NOT excluded.industry
	OR leads.employees IS NOT excluded.employees OR leads.source IS NOT excluded.source
	OR leads.campaign IS NOT excluded.campaign OR leads.score IS NOT excluded.score
	OR leads.attributes IS NOT excluded.attributes OR leads.phone IS NOT excluded.phone
	OR leads.original IS NOT excluded.original
RETURNING ` + leadColumns

// UpsertLead creates or updates one lead by external id.
func (s *Store) UpsertLead(ctx context.Context, in store.LeadInput, actor string) (*lead.Lead, bool, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	if err := core.CheckActor(actor); err != nil {
		return nil, false, err
	}
	var (
		out     *lead.Lead
		created bool
		changed bool
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, upsertSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		out, created, changed, err = upsertOne(ctx, tx, stmt, in, actor, s.opts.Now(), s.opts.DuplicateAttribute)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("upsert lead: %w", err)
	}
	if created || changed {
		s.hub.Publish(out.ID)
	}
	return out, created, nil
}

// UpsertLeads upserts a batch in one transaction: all or nothing.
func (s *Store) UpsertLeads(ctx context.Context, in []store.LeadInput, actor string) ([]*lead.Lead, error) {
	items, err := store.PrepareBatch(in)
	if err != nil {
		return nil, err
	}
	if err := core.CheckActor(actor); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return []*lead.Lead{}, nil
	}
	out := make([]*lead.Lead, len(items))
	var touched []string
	err = s.write(ctx, func(tx *sql.Tx) error {
		touched = touched[:0]
		stmt, err := tx.PrepareContext(ctx, upsertSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := s.opts.Now()
		at := make(map[string]int, len(items)) // id → position
		for i, item := range items {
			l, created, changed, err := upsertOne(ctx, tx, stmt, item, actor, now, s.opts.DuplicateAttribute)
			if err != nil {
				return &store.ItemError{Index: i, Err: err}
			}
			out[i], at[l.ID] = l, i
			if created || changed {
				touched = append(touched, l.ID)
			}
			if j, ok := at[l.DuplicateOf]; ok && created { // an earlier item's count, as stored
				out[j].Duplicates++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("upsert %d leads: %w", len(items), err)
	}
	s.hub.Publish(touched...)
	return out, nil
}

func upsertOne(ctx context.Context, tx *sql.Tx, stmt *sql.Stmt, in store.LeadInput, actor string, now time.Time, dupAttr string) (l *lead.Lead, created, changed bool, err error) {
	nl := core.NewLead(in, now)
	attrs, err := in.AttributesJSON()
	if err != nil {
		return nil, false, false, err
	}
	// The duplicate check runs in the insert's write transaction (SQLite has one writer at a time),
	// so concurrent inserts of one email see each other: one original, the rest its duplicates. On
	// an external id that exists already the value is ignored (ON CONFLICT leaves duplicate_of and
	// duplicate_key). The email is tried first, then the duplicate attribute's key.
	key := core.DuplicateKey(in.Attributes, dupAttr)
	dupOf, err := openOriginal(ctx, tx, openOriginalSQL, in.Email)
	byKey := false
	if err == nil && dupOf == "" && key != "" {
		dupOf, err = openOriginal(ctx, tx, openKeySQL, key)
		byKey = dupOf != ""
	}
	if err != nil {
		return nil, false, false, err
	}
	l, err = scanLead(stmt.QueryRowContext(ctx, nl.ID, nullString(in.ExternalID), in.Email, in.Name,
		in.Company, in.Domain, in.Country, in.Industry, in.Employees, in.Source, in.Campaign, in.Score,
		attrs, now.UnixMicro(), now.UnixMicro(), dupOf, in.Phone, core.OriginalJSON(in.Original), key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// The external id exists and nothing differs: idempotent, nothing to record.
		l, err = scanLead(tx.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id = ?`, in.ExternalID))
		return l, false, false, err
	case err != nil:
		return nil, false, false, err
	}
	evs := []store.AuditEvent{core.UpdatedEvent(l, actor)}
	if l.ID == nl.ID {
		evs = append([]store.AuditEvent{core.CreatedEvent(l, actor)}, core.DuplicateEventsBy(l, actor, core.DuplicateBasis(key, byKey))...)
		if l.DuplicateOf != "" {
			// The original's count, in the link's transaction (not a change: its version stays).
			if _, err := tx.ExecContext(ctx, `UPDATE leads SET duplicates = duplicates + 1 WHERE id = ?`, l.DuplicateOf); err != nil {
				return nil, false, false, err
			}
		}
	}
	for _, ev := range evs {
		if err := insertAudit(ctx, tx, ev); err != nil {
			return nil, false, false, err
		}
	}
	return l, l.ID == nl.ID, l.ID != nl.ID, nil
}

// openOriginalSQL finds the oldest open original with an email (leads_open_email_idx).
const openOriginalSQL = `SELECT id FROM leads INDEXED BY leads_open_email_idx WHERE email = ? AND ` +
	core.DuplicateOpenWhere + ` ORDER BY created_at, id LIMIT 1`

// openKeySQL finds the oldest open original with a duplicate key (leads_open_key_idx).
const openKeySQL = `SELECT id FROM leads INDEXED BY leads_open_key_idx WHERE duplicate_key = ? AND ` +
	core.DuplicateKeyOpenWhere + ` ORDER BY created_at, id LIMIT 1`

// openOriginal returns the id of the open lead a new lead with this email (openOriginalSQL) or
// duplicate key (openKeySQL) duplicates, or "".
func openOriginal(ctx context.Context, tx *sql.Tx, query, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	var id string
	err := tx.QueryRowContext(ctx, query, v).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// GetLead returns a lead by id.
func (s *Store) GetLead(ctx context.Context, id string) (*lead.Lead, error) {
	if !core.ValidID(id) {
		return nil, fmt.Errorf("get lead %q: %w", id, store.ErrNotFound)
	}
	l, err := scanLead(s.r.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get lead %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get lead %s: %w", id, err)
	}
	return l, nil
}

// GetLeadByExternalID returns a lead by its external id. The id is not repeated in errors: a
// marketing tool may use an email address as external id.
func (s *Store) GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error) {
	l, err := scanLead(s.r.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id = ?`, strings.TrimSpace(externalID)))
	if errors.Is(err, sql.ErrNoRows) || externalID == "" {
		return nil, fmt.Errorf("get lead by external id: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get lead by external id: %w", err)
	}
	return l, nil
}

// ListLeads returns one page ordered by (created_at, id).
func (s *Store) ListLeads(ctx context.Context, f store.ListFilter) (store.Page, error) {
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ col, v string }{{"owner", f.Owner}, {"team", f.Team}, {"policy", f.Policy}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if len(f.Stages) > 0 {
		ph := make([]string, len(f.Stages))
		for i, st := range f.Stages {
			if !st.Valid() {
				return store.Page{}, &store.FieldError{Path: "stage", Message: fmt.Sprintf("unknown stage %q", st)}
			}
			ph[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "stage IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Breached {
		where = append(where, "breach_count > 0")
	}
	if f.Cursor != "" {
		t, id, err := store.DecodeCursor(f.Cursor)
		if err != nil {
			return store.Page{}, fmt.Errorf("list leads: %w", err)
		}
		where = append(where, "(created_at > ? OR (created_at = ? AND id > ?))")
		args = append(args, t.UnixMicro(), t.UnixMicro(), id)
	}
	q := `SELECT ` + leadColumns + ` FROM leads`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := store.PageSize(f.Limit)
	q += fmt.Sprintf(" ORDER BY created_at, id LIMIT %d", limit+1)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return store.Page{}, fmt.Errorf("list leads: %w", err)
	}
	defer rows.Close()
	page := store.Page{Leads: []*lead.Lead{}}
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return store.Page{}, fmt.Errorf("list leads: %w", err)
		}
		page.Leads = append(page.Leads, l)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("list leads: %w", err)
	}
	if len(page.Leads) > limit {
		page.Leads = page.Leads[:limit]
		last := page.Leads[limit-1]
		page.NextCursor = store.EncodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// writeLeadSQL rewrites every mutable column of a lead, guarded by its version. A lead's experiment
// and arm are written only while it has none (set once: see migration 00010).
const writeLeadSQL = `UPDATE leads SET email = ?, name = ?, company = ?, domain = ?, country = ?,
	industry = ?, employees = ?, source = ?, campaign = ?, score = ?, attributes = ?, stage = ?,
	owner = ?, team = ?, policy = ?, reason = ?, amount = ?, reassignment_count = ?, updated_at = ?,
	qualified_at = ?, routed_at = ?, touched_at = ?, accepted_at = ?, rejected_at = ?, closed_at = ?,
	first_touch_due = ?, acceptance_due = ?, rule = ?, first_touch_warn = ?, acceptance_warn = ?,
	first_touch_breached_at = ?, acceptance_breached_at = ?, breach_count = ?, last_breach_at = ?,
	previous_owners = ?, experiment = CASE WHEN experiment = '' THEN ? ELSE experiment END,
	arm = CASE WHEN experiment = '' THEN ? ELSE arm END, version = version + 1
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
		return nil, &store.FieldError{Path: "attributes", Message: "not representable as JSON"}
	}
	return []any{l.Email, l.Name, l.Company, l.Domain,
		l.Country, l.Industry, l.Employees, l.Source, l.Campaign, l.Score, attrs, string(l.Stage),
		l.Owner, l.Team, l.Policy, l.Reason, l.Amount, l.ReassignmentCount, l.UpdatedAt.UnixMicro(),
		micros(l.QualifiedAt), micros(l.RoutedAt), micros(l.TouchedAt), micros(l.AcceptedAt),
		micros(l.RejectedAt), micros(l.ClosedAt), micros(l.FirstTouchDue), micros(l.AcceptanceDue),
		l.Rule, micros(l.FirstTouchWarn), micros(l.AcceptanceWarn), micros(l.FirstTouchBreachedAt),
		micros(l.AcceptanceBreachedAt), l.BreachCount, micros(l.LastBreachAt),
		core.PreviousOwnersJSON(l.PreviousOwners), l.Experiment, l.Arm, l.ID, version}, nil
}

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/canonjson"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// upsertSet and upsertChanged are the ON CONFLICT half shared by the single and the batch upsert:
// rewrite the marketing fields only when one differs, so that repeating an input bumps nothing.
const upsertSet = ` ON CONFLICT (external_id) DO UPDATE SET email = excluded.email, name = excluded.name,
	company = excluded.company, domain = excluded.domain, country = excluded.country,
	industry = excluded.industry, employees = excluded.employees, source = excluded.source,
	campaign = excluded.campaign, score = excluded.score, attributes = excluded.attributes,
	phone = excluded.phone, original = excluded.original,
	updated_at = excluded.updated_at, version = leads.version + 1, change_seq = nextval('lead_change_seq')
WHERE (leads.email, leads.name, leads.company, leads.domain, leads.country, leads.industry,
	leads.employees, leads.source, leads.campaign, leads.score, leads.attributes, leads.phone, leads.original)
	IS DISTINCT FROM (excluded.email, excluded.name, excluded.company, excluded.domain,
	excluded.country, excluded.industry, excluded.employees, excluded.source, excluded.campaign,
	excluded.score, excluded.attributes, excluded.phone, excluded.original)`

const insertColumns = `(id, external_id, email, name, company, domain, country, industry, employees,
	source, campaign, score, attributes, stage, created_at, updated_at, version, duplicate_of, phone, original,
	duplicate_key)`

const upsertSQL = `INSERT INTO leads ` + insertColumns + `
VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, 'new', $14, $14, 1, $15, $16, $17::jsonb, $18)` + upsertSet +
	` RETURNING ` + leadColumns

// upsertBatchSQL is the same upsert for a whole batch in one statement: the rows travel as one
// array per column and unnest() turns them back into rows. One round trip, one plan, and within a
// small factor of COPY, while keeping ON CONFLICT (COPY cannot upsert). Only ids come back: a
// created lead is exactly its input, so only updated and unchanged leads are read back.
const upsertBatchSQL = `INSERT INTO leads ` + insertColumns + `
SELECT u.id::uuid, u.external_id, u.email, u.name, u.company, u.domain, u.country, u.industry, u.employees,
	u.source, u.campaign, u.score, u.attributes::jsonb, 'new', $14, $14, 1, u.duplicate_of, u.phone,
	u.original::jsonb, u.duplicate_key
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[], $15::text[],
	$16::text[], $17::text[], $18::text[])
	AS u(id, external_id, email, name, company, domain, country, industry, employees, source,
	campaign, score, attributes, duplicate_of, phone, original, duplicate_key)` + upsertSet + ` RETURNING id::text, change_seq`

// UpsertLead creates or updates one lead by external id.
func (s *Store) UpsertLead(ctx context.Context, in store.LeadInput, actor string) (*lead.Lead, bool, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	if err := core.CheckActor(actor); err != nil {
		return nil, false, err
	}
	now := s.opts.Now()
	nl := core.NewLead(in, now)
	attrs, err := in.AttributesJSON()
	if err != nil {
		return nil, false, err
	}
	var out *lead.Lead
	var created bool
	key := core.DuplicateKey(in.Attributes, s.opts.DuplicateAttribute)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		openE, openK, err := lockOpenOriginals(ctx, tx, []string{in.Email}, []string{key})
		if err != nil {
			return err
		}
		dupOf, byKey := openE[in.Email], false
		if dupOf == "" && key != "" {
			dupOf, byKey = openK[key], openK[key] != ""
		}
		l, err := scanLead(tx.QueryRow(ctx, upsertSQL, nl.ID, nullString(in.ExternalID), in.Email, in.Name,
			in.Company, in.Domain, in.Country, in.Industry, in.Employees, in.Source, in.Campaign, in.Score,
			attrs, now, dupOf, in.Phone, core.OriginalJSON(in.Original), key))
		if errors.Is(err, pgx.ErrNoRows) {
			// Known external id, nothing differs: idempotent, nothing to record or announce.
			out, err = scanLead(tx.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id = $1`, in.ExternalID))
			return err
		}
		if err != nil {
			return err
		}
		out, created = l, l.ID == nl.ID
		evs := []store.AuditEvent{core.UpdatedEvent(l, actor)}
		if created {
			evs = append([]store.AuditEvent{core.CreatedEvent(l, actor)}, core.DuplicateEventsBy(l, actor, core.DuplicateBasis(key, byKey))...)
			if err := countDuplicates(ctx, tx, []*lead.Lead{l}); err != nil {
				return err
			}
		}
		return recordAndNotify(ctx, tx, []*lead.Lead{l}, evs)
	})
	if err != nil {
		return nil, false, fmt.Errorf("upsert lead: %w", err)
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
	now := s.opts.Now()
	n := len(items)
	var (
		ids, exts                                                = make([]string, n), make([]*string, n)
		emails, names, companies, domains, countries, industries = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		employees, scores                                        = make([]int64, n), make([]int64, n)
		sources, campaigns                                       = make([]string, n), make([]string, n)
		phones, keys                                             = make([]string, n), make([]string, n)
		pos                                                      = make(map[string]int, n) // new id → input position
		byExt                                                    = make(map[string]int, n)
	)
	for i, it := range items {
		ids[i] = core.NewID()
		pos[ids[i]] = i
		if it.ExternalID != "" {
			e := it.ExternalID
			exts[i] = &e
			byExt[e] = i
		}
		emails[i], names[i], companies[i], domains[i] = it.Email, it.Name, it.Company, it.Domain
		countries[i], industries[i], employees[i] = it.Country, it.Industry, it.Employees
		sources[i], campaigns[i], scores[i] = it.Source, it.Campaign, it.Score
		phones[i], keys[i] = it.Phone, core.DuplicateKey(it.Attributes, s.opts.DuplicateAttribute)
	}
	// The client's CPU work overlaps the database's: the JSON columns are encoded while the
	// duplicate check runs, and each item's created lead and audit digests are prepared while the
	// insert runs (an item that turns out to update an existing lead discards its share).
	attrs, originals, jsonErr := make([]string, n), make([]string, n), make([]error, n)
	jsonDone := make(chan struct{})
	go func() {
		defer close(jsonDone)
		for i, it := range items {
			attrs[i], jsonErr[i] = it.AttributesJSON()
			originals[i] = core.OriginalJSON(it.Original)
		}
	}()
	defer func() { <-jsonDone }()
	out := make([]*lead.Lead, n)
	err = pgx.BeginTxFunc(ctx, s.pool, batchTx, func(tx pgx.Tx) error {
		dupOf, byKey, err := batchDuplicates(ctx, tx, ids, emails, keys, exts)
		if err != nil {
			return err
		}
		<-jsonDone
		for i, err := range jsonErr {
			if err != nil {
				return &store.ItemError{Index: i, Err: err}
			}
		}
		created := make([]createdItem, n)
		createdDone := make(chan struct{})
		go func() {
			defer close(createdDone)
			for i, it := range items {
				created[i] = prepareCreated(it, ids[i], attrs[i], dupOf[i], core.DuplicateBasis(keys[i], byKey[i]), actor, now)
			}
		}()
		defer func() { <-createdDone }()
		rows, err := tx.Query(ctx, upsertBatchSQL, ids, exts, emails, names, companies, domains,
			countries, industries, employees, sources, campaigns, scores, attrs, now, dupOf, phones, originals, keys)
		if err != nil {
			return err
		}
		var (
			written []*lead.Lead
			seqs    []int64 // change_seq of each written lead, for its notification
			events  []store.AuditEvent
			digests []auditDigest
			reread  []string             // external ids of updated and unchanged leads
			updated = map[string]int64{} // change_seq of each existing lead this statement updated
		)
		for rows.Next() {
			var (
				id  string
				seq int64
			)
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return err
			}
			i, ok := pos[id]
			if !ok { // not one of our new ids: an existing lead this statement updated
				updated[id] = seq
				continue
			}
			<-createdDone
			c := created[i]
			if c.err != nil {
				rows.Close()
				return c.err
			}
			out[i] = c.lead
			events, digests = append(events, c.events...), append(digests, c.digests...)
			written, seqs = append(written, c.lead), append(seqs, seq)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := countDuplicates(ctx, tx, written); err != nil {
			return err
		}
		for _, l := range written { // an original created in this batch returns its count
			if i, ok := pos[l.DuplicateOf]; ok && out[i] != nil {
				out[i].Duplicates++
			}
		}
		for i, l := range out {
			if l == nil {
				reread = append(reread, items[i].ExternalID)
			}
		}
		if len(reread) > 0 {
			rows, err := tx.Query(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id = ANY($1)`, reread)
			if err != nil {
				return err
			}
			for rows.Next() {
				l, err := scanLead(rows)
				if err != nil {
					rows.Close()
					return err
				}
				out[byExt[l.ExternalID]] = l
				if seq, ok := updated[l.ID]; ok {
					ev := core.UpdatedEvent(l, actor)
					d, err := digestEvent(ev)
					if err != nil {
						rows.Close()
						return err
					}
					events, digests = append(events, ev), append(digests, d)
					written, seqs = append(written, l), append(seqs, seq)
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		ids := make([]string, len(written))
		for i, l := range written {
			ids[i] = l.ID
		}
		return recordAndNotifySeqs(ctx, tx, ids, seqs, events, digests)
	})
	if err != nil {
		return nil, fmt.Errorf("upsert %d leads: %w", n, err)
	}
	return out, nil
}

// createdItem is a batch item as the lead it becomes if the upsert inserts it, with its audit events
// and their digests.
type createdItem struct {
	lead    *lead.Lead
	events  []store.AuditEvent
	digests []auditDigest
	err     error
}

func prepareCreated(in store.LeadInput, id, attrs, dupOf, basis, actor string, now time.Time) createdItem {
	l, err := createdLead(in, id, attrs, now)
	if err != nil {
		return createdItem{err: err}
	}
	l.DuplicateOf = dupOf
	c := createdItem{lead: l, events: append([]store.AuditEvent{core.CreatedEvent(l, actor)}, core.DuplicateEventsBy(l, actor, basis)...)}
	c.digests = make([]auditDigest, len(c.events))
	for k, ev := range c.events {
		if c.digests[k], c.err = digestEvent(ev); c.err != nil {
			return c
		}
	}
	return c
}

// GetLead returns a lead by id.
func (s *Store) GetLead(ctx context.Context, id string) (*lead.Lead, error) {
	if !core.ValidID(id) {
		return nil, fmt.Errorf("get lead %q: %w", id, store.ErrNotFound)
	}
	l, err := scanLead(s.pool.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get lead %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get lead %s: %w", id, err)
	}
	return l, nil
}

// GetLeadByExternalID returns a lead by external id (not repeated in errors: it may be an email).
func (s *Store) GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error) {
	externalID = strings.TrimSpace(externalID)
	if externalID == "" {
		return nil, fmt.Errorf("get lead by external id: %w", store.ErrNotFound)
	}
	l, err := scanLead(s.pool.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE external_id = $1`, externalID))
	if errors.Is(err, pgx.ErrNoRows) {
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for _, c := range []struct{ col, v string }{{"owner", f.Owner}, {"team", f.Team}, {"policy", f.Policy}} {
		if c.v != "" {
			where = append(where, c.col+" = "+arg(c.v))
		}
	}
	if len(f.Stages) > 0 {
		stages := make([]string, len(f.Stages))
		for i, st := range f.Stages {
			if !st.Valid() {
				return store.Page{}, &store.FieldError{Path: "stage", Message: fmt.Sprintf("unknown stage %q", st)}
			}
			stages[i] = string(st)
		}
		where = append(where, "stage = ANY("+arg(stages)+"::text[])")
	}
	if f.Breached {
		where = append(where, "breach_count > 0")
	}
	if f.Cursor != "" {
		t, id, err := store.DecodeCursor(f.Cursor)
		if err != nil {
			return store.Page{}, fmt.Errorf("list leads: %w", err)
		}
		where = append(where, "(created_at, id) > ("+arg(t)+", "+arg(id)+"::uuid)")
	}
	q := `SELECT ` + leadColumns + ` FROM leads`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := store.PageSize(f.Limit)
	q += fmt.Sprintf(" ORDER BY created_at, id LIMIT %d", limit+1)
	rows, err := s.pool.Query(ctx, q, args...)
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

// createdLead is the lead an upsert just inserted, built from its input instead of read back. The
// attributes go through JSON like a read would, so callers see the same types either way.
func createdLead(in store.LeadInput, id, attrs string, now time.Time) (*lead.Lead, error) {
	l := core.NewLeadWithID(in, id, now)
	l.Attributes = nil
	if attrs != "{}" {
		if canonjson.RoundTrips(in.Attributes) { // the round trip would give back a copy
			l.Attributes = maps.Clone(in.Attributes)
		} else if err := json.Unmarshal([]byte(attrs), &l.Attributes); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// writeLeadSQL rewrites every mutable column of a lead, guarded by its version. A lead's experiment
// and arm are written only while it has none (set once: see migration 00010).
const writeLeadSQL = `UPDATE leads SET email = $1, name = $2, company = $3, domain = $4, country = $5,
	industry = $6, employees = $7, source = $8, campaign = $9, score = $10, attributes = $11::jsonb,
	stage = $12, owner = $13, team = $14, policy = $15, reason = $16, amount = $17,
	reassignment_count = $18, updated_at = $19, qualified_at = $20, routed_at = $21, touched_at = $22,
	accepted_at = $23, rejected_at = $24, closed_at = $25, first_touch_due = $26, acceptance_due = $27,
	rule = $28, first_touch_warn = $29, acceptance_warn = $30, first_touch_breached_at = $31,
	acceptance_breached_at = $32, breach_count = $33, last_breach_at = $34, previous_owners = $35::jsonb,
	experiment = CASE WHEN experiment = '' THEN $36 ELSE experiment END,
	arm = CASE WHEN experiment = '' THEN $37 ELSE arm END,
	version = version + 1, change_seq = nextval('lead_change_seq')
WHERE id = $38 AND version = $39
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
		return nil, &store.FieldError{Path: "attributes", Message: "not representable as JSON"}
	}
	out, err := scanLead(tx.QueryRow(ctx, writeLeadSQL, l.Email, l.Name, l.Company, l.Domain, l.Country,
		l.Industry, l.Employees, l.Source, l.Campaign, l.Score, attrs, string(l.Stage), l.Owner, l.Team,
		l.Policy, l.Reason, l.Amount, l.ReassignmentCount, l.UpdatedAt, l.QualifiedAt, l.RoutedAt,
		l.TouchedAt, l.AcceptedAt, l.RejectedAt, l.ClosedAt, l.FirstTouchDue, l.AcceptanceDue, l.Rule,
		l.FirstTouchWarn, l.AcceptanceWarn, l.FirstTouchBreachedAt, l.AcceptanceBreachedAt, l.BreachCount,
		l.LastBreachAt, core.PreviousOwnersJSON(l.PreviousOwners), l.Experiment, l.Arm, l.ID, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrConflict
	}
	return out, err
}

// lockOpenSQL takes a transaction-scoped advisory lock per distinct email, in hash order (so two
// batches sharing emails cannot deadlock), and lookupOpenSQL then finds each email's oldest open
// original (leads_open_email_idx). The lock serializes every insert of one email up to its commit,
// and the lookup, a statement after the lock, sees whatever the previous holder committed: twenty
// concurrent posts of one person give one original and nineteen duplicates.
const (
	lockOpenSQL = `WITH h AS MATERIALIZED (SELECT DISTINCT hashtextextended(e, 0) AS k FROM unnest($1::text[]) AS e
		WHERE e <> '' ORDER BY 1) SELECT count(pg_advisory_xact_lock(k)) FROM h`
	lookupOpenSQL = `SELECT u.e, o.id FROM (SELECT DISTINCT e FROM unnest($1::text[]) AS e WHERE e <> '') u,
		LATERAL (SELECT id::text AS id FROM leads WHERE email = u.e AND ` + core.DuplicateOpenWhere + `
		ORDER BY created_at, id LIMIT 1) o`
	// lookupKeySQL is lookupOpenSQL for duplicate keys (leads_open_key_idx).
	lookupKeySQL = `SELECT u.e, o.id FROM (SELECT DISTINCT e FROM unnest($1::text[]) AS e WHERE e <> '') u,
		LATERAL (SELECT id::text AS id FROM leads WHERE duplicate_key = u.e AND ` + core.DuplicateKeyOpenWhere + `
		ORDER BY created_at, id LIMIT 1) o`
)

// lockOpenOriginals locks the emails and duplicate keys (see lockOpenSQL: one statement, all in hash
// order) and returns the open original of each email and of each key that has one.
func lockOpenOriginals(ctx context.Context, tx pgx.Tx, emails, keys []string) (openE, openK map[string]string, err error) {
	openE, openK = map[string]string{}, map[string]string{}
	hasEmail, hasKey := false, false
	for _, e := range emails {
		hasEmail = hasEmail || e != ""
	}
	for _, k := range keys {
		hasKey = hasKey || k != ""
	}
	if !hasEmail && !hasKey {
		return openE, openK, nil
	}
	all := emails
	if hasKey {
		all = append(append(make([]string, 0, len(emails)+len(keys)), emails...), keys...)
	}
	// One round trip: the statements still run one after the other, each with its own snapshot.
	b := &pgx.Batch{}
	b.Queue(lockOpenSQL, all).QueryRow(func(row pgx.Row) error {
		var n int64
		if err := row.Scan(&n); err != nil {
			return fmt.Errorf("lock emails: %w", err)
		}
		return nil
	})
	if hasEmail {
		b.Queue(lookupOpenSQL, emails).Query(lookupOpen(openE))
	}
	if hasKey {
		b.Queue(lookupKeySQL, keys).Query(lookupOpen(openK))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, err
	}
	return openE, openK, nil
}

// lookupOpen reads lookupOpenSQL's or lookupKeySQL's rows into open.
func lookupOpen(open map[string]string) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		for rows.Next() {
			var v, id string
			if err := rows.Scan(&v, &id); err != nil {
				return err
			}
			open[v] = id
		}
		return rows.Err()
	}
}

// batchDuplicates returns, per batch item, the id of the open lead it duplicates: a stored open
// original, else the first new lead of the batch with that email, else the same for its duplicate
// key (byKey then says so); items that update an existing external id keep their lead and are never
// linked.
func batchDuplicates(ctx context.Context, tx pgx.Tx, ids, emails, keys []string, exts []*string) (dupOf []string, byKey []bool, err error) {
	dupOf, byKey = make([]string, len(ids)), make([]bool, len(ids))
	open, openK, err := lockOpenOriginals(ctx, tx, emails, keys)
	if err != nil || len(open) == 0 && len(openK) == 0 && !repeats(emails) && !repeats(keys) {
		return dupOf, byKey, err
	}
	var known []string
	for _, e := range exts {
		if e != nil {
			known = append(known, *e)
		}
	}
	existing := map[string]bool{}
	if len(known) > 0 {
		rows, err := tx.Query(ctx, `SELECT external_id FROM leads WHERE external_id = ANY($1)`, known)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				rows.Close()
				return nil, nil, err
			}
			existing[e] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	for i, e := range emails {
		k := keys[i]
		if e == "" && k == "" || exts[i] != nil && existing[*exts[i]] {
			continue
		}
		if orig, ok := open[e]; ok && e != "" {
			dupOf[i] = orig
		} else if orig, ok := openK[k]; ok && k != "" {
			dupOf[i], byKey[i] = orig, true
		} else {
			if e != "" {
				open[e] = ids[i]
			}
			if k != "" {
				openK[k] = ids[i]
			}
		}
	}
	return dupOf, byKey, nil
}

// countDuplicates adds, in the link's transaction, each created duplicate among ls to its
// original's duplicates count (not a change of the original: its version stays).
func countDuplicates(ctx context.Context, tx pgx.Tx, ls []*lead.Lead) error {
	n := map[string]int64{}
	for _, l := range ls {
		if l.DuplicateOf != "" {
			n[l.DuplicateOf]++
		}
	}
	if len(n) == 0 {
		return nil
	}
	ids, counts := make([]string, 0, len(n)), make([]int64, 0, len(n))
	for id, c := range n {
		ids, counts = append(ids, id), append(counts, c)
	}
	_, err := tx.Exec(ctx, `UPDATE leads SET duplicates = leads.duplicates + c.n
		FROM unnest($1::text[], $2::int[]) AS c(id, n) WHERE leads.id = c.id::uuid`, ids, counts)
	if err != nil {
		return fmt.Errorf("count duplicates: %w", err)
	}
	return nil
}

// repeats reports whether a non-empty email occurs twice.
func repeats(emails []string) bool {
	seen := make(map[string]bool, len(emails))
	for _, e := range emails {
		if e != "" && seen[e] {
			return true
		}
		seen[e] = true
	}
	return false
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// PendingLeads returns the router's queue, oldest first (leads_pending_idx).
func (s *Store) PendingLeads(ctx context.Context, after store.PendingCursor, limit int) ([]*lead.Lead, error) {
	if limit <= 0 {
		return []*lead.Lead{}, nil
	}
	var rows pgx.Rows
	var err error
	if after.CreatedAt.IsZero() {
		rows, err = s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads
			WHERE stage = 'new' OR (stage = 'qualified' AND owner = '') ORDER BY created_at, id LIMIT $1`, limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads
			WHERE (stage = 'new' OR (stage = 'qualified' AND owner = '')) AND (created_at, id) > ($1, $2::uuid)
			ORDER BY created_at, id LIMIT $3`, after.CreatedAt, after.ID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("pending leads: %w", err)
	}
	out, err := scanLeads(rows)
	if err != nil {
		return nil, fmt.Errorf("pending leads: %w", err)
	}
	return out, nil
}

// OpenLoad counts the routed and touched leads of each owner (leads_open_owner_idx).
func (s *Store) OpenLoad(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT owner, count(*) FROM leads
		WHERE stage IN ('routed', 'touched') GROUP BY owner`)
	if err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			owner string
			n     int
		)
		if err := rows.Scan(&owner, &n); err != nil {
			return nil, fmt.Errorf("open load: %w", err)
		}
		if owner != "" {
			out[owner] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	return out, nil
}

// RuleHistory returns the owner of the rule's newest routed lead and the rule's leads per owner
// (leads_rule_idx), in one round trip.
func (s *Store) RuleHistory(ctx context.Context, policy, rule string) (string, map[string]int64, error) {
	return s.ruleHistory(ctx, policy, rule, nil)
}

// ruleHistory is RuleHistory, over the leads the rule routed before *before when before is not nil
// (leads_rule_idx), in one round trip.
func (s *Store) ruleHistory(ctx context.Context, policy, rule string, before *time.Time) (string, map[string]int64, error) {
	newest, bound, args := "routed_at IS NOT NULL", "", []any{policy, rule}
	if before != nil {
		newest, bound, args = "routed_at < $3", " AND routed_at < $3", append(args, *before)
	}
	b := &pgx.Batch{}
	var last string
	b.Queue(`SELECT owner FROM leads WHERE policy = $1 AND rule = $2 AND `+newest+`
		ORDER BY routed_at DESC, id DESC LIMIT 1`, args...).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&last); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	counts := map[string]int64{}
	b.Queue(`SELECT owner, count(*) FROM leads WHERE policy = $1 AND rule = $2`+bound+` AND owner <> ''
		GROUP BY owner`, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				owner string
				n     int64
			)
			if err := rows.Scan(&owner, &n); err != nil {
				return err
			}
			counts[owner] = n
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	return last, counts, nil
}

// commitSQL writes a whole batch of decisions in one set-based UPDATE: one array per column,
// unnest() turns them back into rows, and the version check is the compare-and-swap. $1 is the
// common updated_at. The same statement queues the change notifications from the UPDATE's own
// RETURNING rows ($40 is the channel, $41 the chunk size), so the written leads are not read back
// through the index a second time; it answers the number of leads updated.
const commitSQL = `WITH done AS (UPDATE leads SET email = u.email, name = u.name, company = u.company, domain = u.domain,
	country = u.country, industry = u.industry, employees = u.employees, source = u.source,
	campaign = u.campaign, score = u.score, attributes = u.attributes::jsonb, stage = u.stage,
	owner = u.owner, team = u.team, policy = u.policy, reason = u.reason, amount = u.amount,
	reassignment_count = u.reassignment_count, updated_at = $1, qualified_at = u.qualified_at,
	routed_at = u.routed_at, touched_at = u.touched_at, accepted_at = u.accepted_at,
	rejected_at = u.rejected_at, closed_at = u.closed_at, first_touch_due = u.first_touch_due,
	acceptance_due = u.acceptance_due, rule = u.rule, first_touch_warn = u.first_touch_warn,
	acceptance_warn = u.acceptance_warn, first_touch_breached_at = u.first_touch_breached_at,
	acceptance_breached_at = u.acceptance_breached_at, breach_count = u.breach_count,
	last_breach_at = u.last_breach_at, previous_owners = u.previous_owners::jsonb,
	experiment = CASE WHEN leads.experiment = '' THEN u.experiment ELSE leads.experiment END,
	arm = CASE WHEN leads.experiment = '' THEN u.arm ELSE leads.arm END,
	version = leads.version + 1, change_seq = nextval('lead_change_seq')
FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::text[], $10::bigint[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::text[],
	$16::text[], $17::text[], $18::text[], $19::text[], $20::float8[], $21::int[],
	$22::timestamptz[], $23::timestamptz[], $24::timestamptz[], $25::timestamptz[], $26::timestamptz[],
	$27::timestamptz[], $28::timestamptz[], $29::timestamptz[], $30::text[], $31::timestamptz[],
	$32::timestamptz[], $33::timestamptz[], $34::timestamptz[], $35::int[], $36::timestamptz[], $37::text[],
	$38::text[], $39::text[])
	AS u(id, version, email, name, company, domain, country, industry, employees, source, campaign,
	score, attributes, stage, owner, team, policy, reason, amount, reassignment_count, qualified_at,
	routed_at, touched_at, accepted_at, rejected_at, closed_at, first_touch_due, acceptance_due, rule,
	first_touch_warn, acceptance_warn, first_touch_breached_at, acceptance_breached_at, breach_count,
	last_breach_at, previous_owners, experiment, arm)
WHERE leads.id = u.id::uuid AND leads.version = u.version
RETURNING leads.id, leads.change_seq),
n AS (SELECT pg_notify($40, string_agg(c.id::text || ':' || c.change_seq, ','))
	FROM (SELECT id, change_seq, (row_number() OVER () - 1) / $41 AS chunk FROM done) c GROUP BY c.chunk)
SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM n)`

// CommitDecisions writes the decisions in one transaction and three round trips whatever their
// number: lock and read the leads' stage and version (in id order, so two committers never
// deadlock), check each decision in Go (core.PrepareDecision, as Update does), then pipeline the
// set-based UPDATE (which also sends the notifications) and the audit insert.
func (s *Store) CommitDecisions(ctx context.Context, ds []store.Decision) ([]*lead.Lead, []string, error) {
	ids, err := core.DecisionsInput(ds)
	if err != nil {
		return nil, nil, fmt.Errorf("commit decisions: %w", err)
	}
	applied, conflicts := []*lead.Lead{}, []string{}
	if len(ds) == 0 {
		return applied, conflicts, nil
	}
	err = pgx.BeginTxFunc(ctx, s.pool, batchTx, func(tx pgx.Tx) error {
		applied, conflicts = applied[:0], conflicts[:0]
		rows, err := tx.Query(ctx, `SELECT id::text, coalesce(external_id, ''), stage, version, created_at, experiment, arm
			FROM leads WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		cur := make(map[string]*lead.Lead, len(ds))
		for rows.Next() {
			var (
				l     lead.Lead
				stage string
			)
			if err := rows.Scan(&l.ID, &l.ExternalID, &stage, &l.Version, &l.CreatedAt, &l.Experiment, &l.Arm); err != nil {
				rows.Close()
				return err
			}
			l.Stage, l.CreatedAt = lead.Stage(stage), l.CreatedAt.UTC()
			cur[l.ID] = &l
		}
		if err := rows.Err(); err != nil {
			return err
		}
		now := s.opts.Now()
		var events []store.AuditEvent
		for i, d := range ds {
			c, ok := cur[d.Lead.ID]
			if !ok {
				return &store.ItemError{Index: i, Err: fmt.Errorf("lead %s: %w", d.Lead.ID, store.ErrNotFound)}
			}
			next, evs, err := core.PrepareDecision(c, d.Lead, d.Via, d.Events, now)
			if errors.Is(err, store.ErrConflict) {
				conflicts = append(conflicts, c.ID)
				continue
			}
			if err != nil {
				return &store.ItemError{Index: i, Err: err}
			}
			applied = append(applied, next)
			events = append(events, evs...)
		}
		if len(applied) == 0 {
			return nil
		}
		b := &pgx.Batch{}
		args, err := commitArgs(applied, now)
		if err != nil {
			return err
		}
		want := int64(len(applied))
		b.Queue(commitSQL, append(args, channel, notifyChunk)...).QueryRow(func(row pgx.Row) error {
			var updated, notices int64
			if err := row.Scan(&updated, &notices); err != nil {
				return err
			}
			if updated != want {
				return fmt.Errorf("%d of %d locked leads updated", updated, want)
			}
			return nil
		})
		if err := queueRecordAndNotify(b, nil, nil, events, nil); err != nil {
			return err
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("commit %d decisions: %w", len(ds), err)
	}
	return applied, conflicts, nil
}

// commitArgs lays the leads out as commitSQL's column arrays.
func commitArgs(ls []*lead.Lead, now time.Time) ([]any, error) {
	n := len(ls)
	var (
		ids                                 = make([]string, n)
		versions, employees, scores         = make([]int64, n), make([]int64, n), make([]int64, n)
		email, name, company, domain        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		country, industry, source, campaign = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		attrs, stage, owner, team           = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		policy, reason, rule, prev          = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		experiment, arm                     = make([]string, n), make([]string, n)
		amount                              = make([]float64, n)
		reassign, breaches                  = make([]int32, n), make([]int32, n)
		times                               = make([][]*time.Time, 13)
	)
	for k := range times {
		times[k] = make([]*time.Time, n)
	}
	for i, l := range ls {
		a, err := jsonText(l.Attributes)
		if err != nil {
			return nil, &store.ItemError{Index: i, Err: &store.FieldError{Path: "attributes", Message: "not representable as JSON"}}
		}
		ids[i], versions[i] = l.ID, l.Version-1 // the stored version, which the write bumps
		email[i], name[i], company[i], domain[i] = l.Email, l.Name, l.Company, l.Domain
		country[i], industry[i], employees[i], source[i] = l.Country, l.Industry, l.Employees, l.Source
		campaign[i], scores[i], attrs[i], stage[i] = l.Campaign, l.Score, a, string(l.Stage)
		owner[i], team[i], policy[i], reason[i] = l.Owner, l.Team, l.Policy, l.Reason
		amount[i], reassign[i], rule[i] = l.Amount, int32(l.ReassignmentCount), l.Rule
		breaches[i], prev[i] = int32(l.BreachCount), core.PreviousOwnersJSON(l.PreviousOwners)
		experiment[i], arm[i] = l.Experiment, l.Arm
		for k, p := range core.TimeFields(l) {
			times[k][i] = *p
		}
	}
	// core.TimeFields order: qualified, routed, touched, accepted, rejected, closed, first touch
	// due, acceptance due, first touch warn, acceptance warn, first touch breached, acceptance
	// breached, last breach.
	return []any{now, ids, versions, email, name, company, domain, country, industry, employees,
		source, campaign, scores, attrs, stage, owner, team, policy, reason, amount, reassign,
		times[0], times[1], times[2], times[3], times[4], times[5], times[6], times[7], rule,
		times[8], times[9], times[10], times[11], breaches, times[12], prev, experiment, arm}, nil
}

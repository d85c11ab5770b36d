package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// pendingWhere is leads_pending_idx's predicate, repeated verbatim so SQLite uses the index.
const pendingWhere = `stage = 'new' OR (stage = 'qualified' AND owner = '')`

// PendingLeads returns the router's queue, oldest first.
func (s *Store) PendingLeads(ctx context.Context, after store.PendingCursor, limit int) ([]*lead.Lead, error) {
	if limit <= 0 {
		return []*lead.Lead{}, nil
	}
	var afterMicros int64 = -1 << 62
	if !after.CreatedAt.IsZero() {
		afterMicros = after.CreatedAt.UnixMicro()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads INDEXED BY leads_pending_idx
		WHERE (`+pendingWhere+`) AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`, afterMicros, after.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending leads: %w", err)
	}
	out, err := scanLeads(rows)
	if err != nil {
		return nil, fmt.Errorf("pending leads: %w", err)
	}
	return out, nil
}

// OpenLoad counts the routed and touched leads of each owner.
func (s *Store) OpenLoad(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT owner, count(*) FROM leads INDEXED BY leads_open_owner_idx
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

// RuleHistory returns the owner of the rule's newest routed lead and the rule's leads per owner.
func (s *Store) RuleHistory(ctx context.Context, policy, rule string) (string, map[string]int64, error) {
	return s.ruleHistory(ctx, policy, rule, nil)
}

// ruleHistory is RuleHistory, over the leads the rule routed before *before (Unix microseconds)
// when before is not nil (leads_rule_idx).
func (s *Store) ruleHistory(ctx context.Context, policy, rule string, before *int64) (string, map[string]int64, error) {
	bound, args := "", []any{policy, rule}
	if before != nil {
		bound, args = " AND routed_at < ?", append(args, *before)
	}
	var last string
	err := s.r.QueryRowContext(ctx, `SELECT owner FROM leads INDEXED BY leads_rule_idx
		WHERE policy = ? AND rule = ? AND routed_at IS NOT NULL`+bound+` ORDER BY routed_at DESC, id DESC LIMIT 1`,
		args...).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT owner, count(*) FROM leads INDEXED BY leads_rule_idx
		WHERE policy = ? AND rule = ?`+bound+` AND owner <> '' GROUP BY owner`, args...)
	if err != nil {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var (
			owner string
			n     int64
		)
		if err := rows.Scan(&owner, &n); err != nil {
			return "", nil, fmt.Errorf("rule history: %w", err)
		}
		counts[owner] = n
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("rule history: %w", err)
	}
	return last, counts, nil
}

// CommitDecisions writes the decisions in one write transaction with prepared statements. The
// transaction holds SQLite's write lock from BEGIN, so the version read below is the version the
// UPDATE overwrites; the UPDATE still checks it.
func (s *Store) CommitDecisions(ctx context.Context, ds []store.Decision) ([]*lead.Lead, []string, error) {
	if _, err := core.DecisionsInput(ds); err != nil {
		return nil, nil, fmt.Errorf("commit decisions: %w", err)
	}
	applied, conflicts := []*lead.Lead{}, []string{}
	if len(ds) == 0 {
		return applied, conflicts, nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		applied, conflicts = applied[:0], conflicts[:0]
		get, err := tx.PrepareContext(ctx, `SELECT id, coalesce(external_id, ''), stage, version, created_at, experiment, arm FROM leads WHERE id = ?`)
		if err != nil {
			return err
		}
		defer get.Close()
		upd, err := tx.PrepareContext(ctx, writeLeadSQL)
		if err != nil {
			return err
		}
		defer upd.Close()
		aud, err := tx.PrepareContext(ctx, insertAuditSQL)
		if err != nil {
			return err
		}
		defer aud.Close()
		head, err := tx.PrepareContext(ctx, auditHeadSQL)
		if err != nil {
			return err
		}
		defer head.Close()
		now := s.opts.Now()
		for i, d := range ds {
			var (
				cur     lead.Lead
				stage   string
				created int64
			)
			err := get.QueryRowContext(ctx, d.Lead.ID).Scan(&cur.ID, &cur.ExternalID, &stage, &cur.Version, &created, &cur.Experiment, &cur.Arm)
			if errors.Is(err, sql.ErrNoRows) {
				return &store.ItemError{Index: i, Err: fmt.Errorf("lead %s: %w", d.Lead.ID, store.ErrNotFound)}
			}
			if err != nil {
				return err
			}
			cur.Stage, cur.CreatedAt = lead.Stage(stage), fromMicros(created)
			next, evs, err := core.PrepareDecision(&cur, d.Lead, d.Via, d.Events, now)
			if errors.Is(err, store.ErrConflict) {
				conflicts = append(conflicts, cur.ID)
				continue
			}
			if err != nil {
				return &store.ItemError{Index: i, Err: err}
			}
			args, err := writeLeadArgs(next, cur.Version)
			if err != nil {
				return &store.ItemError{Index: i, Err: err}
			}
			res, err := upd.ExecContext(ctx, args...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return fmt.Errorf("lead %s: version moved under the write lock (%d rows, %v)", cur.ID, n, err)
			}
			var prev []byte
			if len(evs) > 0 {
				if prev, err = auditHead(ctx, head.QueryRowContext(ctx, cur.ID)); err != nil {
					return err
				}
			}
			for _, ev := range evs {
				if ev.LeadID != cur.ID { // decisions record events of their own lead only
					return &store.ItemError{Index: i, Err: fmt.Errorf("audit event of lead %s in the decision of lead %s", ev.LeadID, cur.ID)}
				}
				a, err := auditArgs(prev, ev)
				if err != nil {
					return &store.ItemError{Index: i, Err: err}
				}
				if _, err := aud.ExecContext(ctx, a...); err != nil {
					return err
				}
				prev = a[len(a)-1].([]byte)
			}
			applied = append(applied, next)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("commit %d decisions: %w", len(ds), err)
	}
	ids := make([]string, len(applied))
	for i, l := range applied {
		ids[i] = l.ID
	}
	s.hub.Publish(ids...)
	return applied, conflicts, nil
}

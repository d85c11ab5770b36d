package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// leadColumns is the column list every lead query selects, in scanLead's order.
const leadColumns = `id, external_id, email, name, company, domain, country, industry, employees, source,
	campaign, score, attributes, stage, owner, team, policy, reason, amount, reassignment_count,
	created_at, updated_at, qualified_at, routed_at, touched_at, accepted_at, rejected_at, closed_at,
	first_touch_due, acceptance_due, rule, first_touch_warn, acceptance_warn, first_touch_breached_at,
	acceptance_breached_at, breach_count, last_breach_at, previous_owners, version, duplicate_of, duplicates,
	phone, original, experiment, arm`

type scanner interface{ Scan(dest ...any) error }

func scanLead(row scanner) (*lead.Lead, error) {
	var (
		l                  lead.Lead
		ext                sql.NullString
		attrs              string
		stage              string
		created, updated   int64
		q, r, t, a, rj, cl sql.NullInt64
		ftd, ad            sql.NullInt64
		ftw, aw, ftb, ab   sql.NullInt64
		lb                 sql.NullInt64
		prev               string
		orig               string
	)
	err := row.Scan(&l.ID, &ext, &l.Email, &l.Name, &l.Company, &l.Domain, &l.Country, &l.Industry,
		&l.Employees, &l.Source, &l.Campaign, &l.Score, &attrs, &stage, &l.Owner, &l.Team, &l.Policy,
		&l.Reason, &l.Amount, &l.ReassignmentCount, &created, &updated, &q, &r, &t, &a, &rj, &cl,
		&ftd, &ad, &l.Rule, &ftw, &aw, &ftb, &ab, &l.BreachCount, &lb, &prev, &l.Version, &l.DuplicateOf, &l.Duplicates, &l.Phone, &orig, &l.Experiment, &l.Arm)
	if err != nil {
		return nil, err
	}
	l.ExternalID = ext.String
	l.Stage = lead.Stage(stage)
	if l.Original, err = core.ParseOriginal(orig); err != nil {
		return nil, fmt.Errorf("lead %s: %w", l.ID, err)
	}
	if attrs != "" && attrs != "{}" {
		if err := json.Unmarshal([]byte(attrs), &l.Attributes); err != nil {
			return nil, fmt.Errorf("lead %s: attributes: %w", l.ID, err)
		}
	}
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	l.QualifiedAt, l.RoutedAt, l.TouchedAt, l.AcceptedAt = ptime(q), ptime(r), ptime(t), ptime(a)
	l.RejectedAt, l.ClosedAt, l.FirstTouchDue, l.AcceptanceDue = ptime(rj), ptime(cl), ptime(ftd), ptime(ad)
	l.FirstTouchWarn, l.AcceptanceWarn = ptime(ftw), ptime(aw)
	l.FirstTouchBreachedAt, l.AcceptanceBreachedAt, l.LastBreachAt = ptime(ftb), ptime(ab), ptime(lb)
	if l.PreviousOwners, err = core.ParsePreviousOwners(prev); err != nil {
		return nil, fmt.Errorf("lead %s: %w", l.ID, err)
	}
	return &l, nil
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func ptime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// micros converts a nullable time for storage.
func micros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func attributesJSON(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func scanLeads(rows *sql.Rows) ([]*lead.Lead, error) {
	defer rows.Close()
	out := []*lead.Lead{}
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/canonjson"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// leadColumns is the column list every lead query selects, in scanLead's order.
const leadColumns = `id::text, coalesce(external_id, ''), email, name, company, domain, country, industry,
	employees, source, campaign, score, attributes::text, stage, owner, team, policy, reason, amount,
	reassignment_count, created_at, updated_at, qualified_at, routed_at, touched_at, accepted_at,
	rejected_at, closed_at, first_touch_due, acceptance_due, rule, first_touch_warn, acceptance_warn,
	first_touch_breached_at, acceptance_breached_at, breach_count, last_breach_at, previous_owners::text,
	version, duplicate_of, duplicates, phone, original::text, experiment, arm`

type scanner interface{ Scan(dest ...any) error }

func scanLead(row scanner) (*lead.Lead, error) {
	var (
		l     lead.Lead
		attrs string
		stage string
		prev  string
		orig  string
	)
	err := row.Scan(&l.ID, &l.ExternalID, &l.Email, &l.Name, &l.Company, &l.Domain, &l.Country,
		&l.Industry, &l.Employees, &l.Source, &l.Campaign, &l.Score, &attrs, &stage, &l.Owner, &l.Team,
		&l.Policy, &l.Reason, &l.Amount, &l.ReassignmentCount, &l.CreatedAt, &l.UpdatedAt,
		&l.QualifiedAt, &l.RoutedAt, &l.TouchedAt, &l.AcceptedAt, &l.RejectedAt, &l.ClosedAt,
		&l.FirstTouchDue, &l.AcceptanceDue, &l.Rule, &l.FirstTouchWarn, &l.AcceptanceWarn,
		&l.FirstTouchBreachedAt, &l.AcceptanceBreachedAt, &l.BreachCount, &l.LastBreachAt, &prev, &l.Version, &l.DuplicateOf, &l.Duplicates, &l.Phone, &orig, &l.Experiment, &l.Arm)
	if err != nil {
		return nil, err
	}
	l.Stage = lead.Stage(stage)
	if l.Original, err = core.ParseOriginal(orig); err != nil {
		return nil, fmt.Errorf("lead %s: %w", l.ID, err)
	}
	if attrs != "" && attrs != "{}" {
		if err := json.Unmarshal([]byte(attrs), &l.Attributes); err != nil {
			return nil, fmt.Errorf("lead %s: attributes: %w", l.ID, err)
		}
	}
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	if l.PreviousOwners, err = core.ParsePreviousOwners(prev); err != nil {
		return nil, fmt.Errorf("lead %s: %w", l.ID, err)
	}
	for _, p := range core.TimeFields(&l) {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	return &l, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonText(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	if s, ok := canonjson.Map(m); ok { // the common case, without reflection
		return s, nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func scanLeads(rows pgx.Rows) ([]*lead.Lead, error) {
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

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

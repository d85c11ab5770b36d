package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/store"
)

// leadSource is where the scorecard reads leads: the goal queries of a store opened directly (the
// indexed aggregates and lead streams the TeamGoal reconciler reads), or, over the HTTP API, every
// lead listed once and the same definitions (goals.Compute) applied in memory.
type leadSource interface {
	// GoalMetric and GoalLeads are store.Backend's.
	GoalMetric(ctx context.Context, q store.GoalQuery) (value float64, known bool, err error)
	GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error
	// Rejected returns the leads whose RejectedAt lies in [start, end).
	Rejected(ctx context.Context, start, end time.Time) ([]*lead.Lead, error)
}

// storeSource reads a store opened directly.
type storeSource struct {
	st interface {
		GoalMetric(ctx context.Context, q store.GoalQuery) (float64, bool, error)
		GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error
		ListLeads(ctx context.Context, f store.ListFilter) (store.Page, error)
	}
}

func (s storeSource) GoalMetric(ctx context.Context, q store.GoalQuery) (float64, bool, error) {
	return s.st.GoalMetric(ctx, q)
}

func (s storeSource) GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error {
	return s.st.GoalLeads(ctx, q, fn)
}

// Rejected pages through the leads in the stages a rejected lead can be in (rejected, or disqualified
// by marketing afterwards: a re-qualification clears RejectedAt), by the stage index.
func (s storeSource) Rejected(ctx context.Context, start, end time.Time) ([]*lead.Lead, error) {
	return rejectedIn(ctx, s.st.ListLeads, start, end)
}

func rejectedIn(ctx context.Context, list func(context.Context, store.ListFilter) (store.Page, error), start, end time.Time) ([]*lead.Lead, error) {
	var out []*lead.Lead
	f := store.ListFilter{Stages: []lead.Stage{lead.StageRejected, lead.StageDisqualified}, Limit: api.MaxPageSize}
	for {
		page, err := list(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, l := range page.Leads {
			if within(l.RejectedAt, start, end) {
				out = append(out, l)
			}
		}
		if page.NextCursor == "" || len(page.Leads) == 0 {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

// listSource serves the goal queries from every lead, listed once through the HTTP API.
type listSource struct {
	all []*lead.Lead
}

func loadAll(ctx context.Context, b backend) (*listSource, error) {
	s := &listSource{}
	f := store.ListFilter{Limit: api.MaxPageSize}
	for {
		page, err := b.List(ctx, f)
		if err != nil {
			return nil, err
		}
		s.all = append(s.all, page.Leads...)
		if page.NextCursor == "" || len(page.Leads) == 0 {
			return s, nil
		}
		f.Cursor = page.NextCursor
	}
}

// GoalLeads selects the leads the store's GoalLeads would: of the team (all for ""), with the
// metric's timestamp (routed_at or closed_at for ConversionRate) in the period.
func (s *listSource) GoalLeads(_ context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error {
	m := goals.Metric(q.Metric)
	if !m.Valid() {
		return fmt.Errorf("unknown goal metric %q", q.Metric)
	}
	for _, l := range s.all {
		if q.Team != "" && l.Team != q.Team {
			continue
		}
		var hit bool
		switch goals.TimeField(m) {
		case "created_at":
			c := l.CreatedAt
			hit = within(&c, q.Start, q.End)
		case "qualified_at":
			hit = within(l.QualifiedAt, q.Start, q.End)
		case "accepted_at":
			hit = within(l.AcceptedAt, q.Start, q.End)
		case "closed_at":
			hit = within(l.ClosedAt, q.Start, q.End)
		case "routed_at":
			hit = within(l.RoutedAt, q.Start, q.End) || within(l.ClosedAt, q.Start, q.End)
		case "touched_at":
			hit = within(l.TouchedAt, q.Start, q.End)
		}
		if hit {
			if err := fn(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// GoalMetric is goals.Compute over what GoalLeads selects: the reference the store's aggregates are
// tested against.
func (s *listSource) GoalMetric(ctx context.Context, q store.GoalQuery) (float64, bool, error) {
	var ls []*lead.Lead
	if err := s.GoalLeads(ctx, q, func(l *lead.Lead) error { ls = append(ls, l); return nil }); err != nil {
		return 0, false, err
	}
	m := goals.Compute(goals.Metric(q.Metric), ls, q.Start, q.End, q.Now)
	return m.Value, m.Valid, nil
}

func (s *listSource) Rejected(ctx context.Context, start, end time.Time) ([]*lead.Lead, error) {
	var out []*lead.Lead
	for _, l := range s.all {
		if within(l.RejectedAt, start, end) {
			out = append(out, l)
		}
	}
	return out, nil
}

func within(t *time.Time, start, end time.Time) bool {
	return t != nil && !t.Before(start) && t.Before(end)
}

// sourceFor picks the lead source for the backend.
func sourceFor(ctx context.Context, b backend) (leadSource, error) {
	if sb, ok := b.(*storeBackend); ok {
		if st, ok := sb.st.(interface {
			GoalMetric(ctx context.Context, q store.GoalQuery) (float64, bool, error)
			GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error
			ListLeads(ctx context.Context, f store.ListFilter) (store.Page, error)
		}); ok {
			return storeSource{st: st}, nil
		}
	}
	return loadAll(ctx, b)
}

// periodLeads gathers every lead with a funnel timestamp in [start, end): created, qualified,
// routed, touched, accepted, rejected or closed; each once.
func periodLeads(ctx context.Context, src leadSource, start, end, now time.Time) ([]*lead.Lead, error) {
	seen := map[string]bool{}
	var out []*lead.Lead
	add := func(l *lead.Lead) error {
		if !seen[l.ID] {
			seen[l.ID] = true
			out = append(out, l)
		}
		return nil
	}
	// One metric per timestamp: created, qualified, accepted, closed, routed (and closed), touched.
	for _, m := range []goals.Metric{goals.MetricNewLeads, goals.MetricMQLs, goals.MetricAccepted, goals.MetricWonDeals,
		goals.MetricConversionRate, goals.MetricTimeToFirstTouch} {
		if err := src.GoalLeads(ctx, store.GoalQuery{Metric: string(m), Start: start, End: end, Now: now}, add); err != nil {
			return nil, err
		}
	}
	rejected, err := src.Rejected(ctx, start, end)
	if err != nil {
		return nil, err
	}
	for _, l := range rejected {
		_ = add(l)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Row is one line of the scorecard: the funnel figures of a group of leads (all of them, a team's, a
// source's or a campaign's) over the period, by the TeamGoal metric definitions (goals.Compute).
// Unknown figures (a rate or a median over nothing) are null in JSON and empty in CSV.
type Row struct {
	Name  string `json:"name"`
	Leads int64  `json:"leads"`
	// Duplicates counts the leads created in the period that the store linked to an open lead with
	// the same email (duplicateOf), whatever the policy then did with them.
	Duplicates int64 `json:"duplicates"`
	MQLs       int64 `json:"mqls"`
	HandedOff  int64 `json:"handedOff"`
	Accepted   int64 `json:"accepted"`
	Rejected   int64 `json:"rejected"`
	// RejectionReasons are the most frequent reasons, most frequent first.
	RejectionReasons []ReasonCount `json:"rejectionReasons"`
	// Time to first touch, seconds: the lower median (the TimeToFirstTouch metric) and the 90th
	// percentile (nearest rank) of touched − routed over leads first touched in the period.
	MedianTimeToFirstTouch *float64 `json:"medianTimeToFirstTouchSeconds"`
	P90TimeToFirstTouch    *float64 `json:"p90TimeToFirstTouchSeconds"`
	SLACompliance          *float64 `json:"slaCompliancePercent"`
	WonDeals               int64    `json:"wonDeals"`
	Revenue                float64  `json:"revenue"`
	// Conversion is won deals ÷ leads handed off in the period, in percent (the ConversionRate metric).
	Conversion *float64 `json:"conversionPercent"`
}

type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// computeRow computes one group's figures over [start, end) as of now.
func computeRow(name string, ls []*lead.Lead, start, end, now time.Time, top int) Row {
	count := func(m goals.Metric) int64 { return int64(goals.Compute(m, ls, start, end, now).Value) }
	opt := func(m goals.Metric) *float64 {
		if v := goals.Compute(m, ls, start, end, now); v.Valid {
			x := v.Value
			return &x
		}
		return nil
	}
	r := Row{
		Name:                   name,
		Leads:                  count(goals.MetricNewLeads),
		MQLs:                   count(goals.MetricMQLs),
		Accepted:               count(goals.MetricAccepted),
		MedianTimeToFirstTouch: opt(goals.MetricTimeToFirstTouch),
		SLACompliance:          opt(goals.MetricSLACompliance),
		WonDeals:               count(goals.MetricWonDeals),
		Revenue:                goals.Compute(goals.MetricRevenue, ls, start, end, now).Value,
		Conversion:             opt(goals.MetricConversionRate),
	}
	reasons := map[string]int64{}
	var ttft []float64
	for _, l := range ls {
		if l.DuplicateOf != "" && within(&l.CreatedAt, start, end) {
			r.Duplicates++
		}
		if within(l.RoutedAt, start, end) {
			r.HandedOff++
		}
		if within(l.RejectedAt, start, end) {
			r.Rejected++
			reason := l.Reason
			if l.Stage != lead.StageRejected || reason == "" {
				reason = "(no reason kept)"
			}
			reasons[reason]++
		}
		if within(l.TouchedAt, start, end) && l.RoutedAt != nil {
			ttft = append(ttft, l.TouchedAt.Sub(*l.RoutedAt).Seconds())
		}
	}
	if len(ttft) > 0 {
		sort.Float64s(ttft)
		p := ttft[int(math.Ceil(0.9*float64(len(ttft))))-1]
		r.P90TimeToFirstTouch = &p
	}
	for reason, n := range reasons {
		r.RejectionReasons = append(r.RejectionReasons, ReasonCount{reason, n})
	}
	sort.Slice(r.RejectionReasons, func(i, j int) bool {
		a, b := r.RejectionReasons[i], r.RejectionReasons[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Reason < b.Reason
	})
	if top >= 0 && len(r.RejectionReasons) > top {
		r.RejectionReasons = r.RejectionReasons[:top]
	}
	if r.RejectionReasons == nil {
		r.RejectionReasons = []ReasonCount{}
	}
	return r
}

// groupRows splits the leads by key and computes a row per group, in name order; an empty key is
// shown as none.
func groupRows(ls []*lead.Lead, key func(*lead.Lead) string, none string, start, end, now time.Time, top int) []Row {
	groups := map[string][]*lead.Lead{}
	for _, l := range ls {
		k := key(l)
		if k == "" {
			k = none
		}
		groups[k] = append(groups[k], l)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == none) != (names[j] == none) {
			return names[j] == none
		}
		return names[i] < names[j]
	})
	rows := make([]Row, 0, len(names))
	for _, k := range names {
		rows = append(rows, computeRow(k, groups[k], start, end, now, top))
	}
	return rows
}

// GoalRow is one TeamGoal's progress, computed as the TeamGoal reconciler computes its status.
type GoalRow struct {
	Name             string   `json:"name"` // namespace/name
	Team             string   `json:"team"`
	Metric           string   `json:"metric"`
	Period           string   `json:"period"`
	Current          string   `json:"current"`
	Target           string   `json:"target"`
	Baseline         string   `json:"baseline,omitempty"`
	Progress         *float64 `json:"progress"` // share: 1 is the target reached
	ExpectedProgress float64  `json:"expectedProgress"`
	Projection       string   `json:"projection"`
	State            string   `json:"state"`
	Message          string   `json:"message"`
}

// goalRow computes a goal's figures the way controllers/teamgoal_progress.go does: the team's
// timezone, the period, the metric over [start, min(now, end)) of the goal's scope (every lead for a
// Marketing team, else the team's) through the store's aggregate, or its leads and goals.Compute with
// a CEL filter; the baseline over the previous period for a growth target; goals.Evaluate.
func goalRow(ctx context.Context, src leadSource, objs *objects, g *leadopsv1.TeamGoal, now time.Time) (GoalRow, error) {
	row := GoalRow{Name: g.Namespace + "/" + g.Name, Team: g.Namespace + "/" + g.Spec.TeamRef.Name, Metric: string(g.Spec.Metric)}
	team := objs.team(g.Namespace, g.Spec.TeamRef.Name)
	if team == nil {
		row.State, row.Message = leadopsv1.ReasonTeamNotFound, fmt.Sprintf("Team %q is not in %s", g.Spec.TeamRef.Name, objs.From)
		return row, nil
	}
	fail := func(err error) (GoalRow, error) {
		row.State, row.Message = leadopsv1.ReasonInvalidSpec, err.Error()
		return row, nil
	}
	loc, err := time.LoadLocation(team.Spec.Timezone)
	if err != nil {
		return fail(fmt.Errorf("Team %q has an unknown timezone %q", team.Name, team.Spec.Timezone))
	}
	metric := goals.Metric(g.Spec.Metric)
	ps, ts := policy.GoalSpec(g)
	period, err := goals.ResolvePeriod(ps, loc)
	if err != nil {
		return fail(policy.GoalSpecError(err))
	}
	row.Period = period.Label()
	if err := ts.Validate(metric); err != nil {
		return fail(policy.GoalSpecError(err))
	}
	filter, specErr := policy.CompileExpression("spec.filter", g.Spec.Filter)
	if specErr != nil {
		return fail(specErr)
	}
	scope := team.Namespace + "/" + team.Name
	if team.Spec.Function == leadopsv1.TeamFunctionMarketing {
		scope = ""
	}
	current, err := measure(ctx, src, metric, scope, filter, period.Start, minTime(now, period.End), now)
	if err != nil {
		return row, err
	}
	var baseline goals.Measure
	if ts.NeedsBaseline() {
		prev := period.Previous()
		if baseline, err = measure(ctx, src, metric, scope, filter, prev.Start, minTime(now, prev.End), now); err != nil {
			return row, err
		}
	}
	res, err := goals.ResolveTarget(metric, ts, baseline)
	if err != nil {
		return fail(policy.GoalSpecError(err))
	}
	tol := int32(goals.DefaultTolerancePercent)
	if t := g.Spec.AtRiskTolerancePercent; t != nil {
		tol = *t
	}
	ev := goals.Evaluate(goals.Inputs{Metric: metric, Period: period, Target: res, Current: current, TolerancePercent: tol, Now: now})
	d := ev.Display()
	row.Current, row.Target, row.Baseline, row.Projection = d.Current, d.Target, d.Baseline, d.Projection
	if ev.Progress.Valid {
		p := ev.Progress.Value
		row.Progress = &p
	}
	row.ExpectedProgress = ev.ExpectedProgress
	row.State, row.Message = ev.Reason, ev.Message
	return row, nil
}

// measure is the TeamGoal reconciler's: the store's aggregate, or with a filter the reference
// computation over the leads the store streams back (an expression error leaves a lead out).
func measure(ctx context.Context, src leadSource, m goals.Metric, scope string, filter *celenv.Program, start, end, now time.Time) (goals.Measure, error) {
	q := store.GoalQuery{Metric: string(m), Team: scope, Start: start, End: end, Now: now}
	if !end.After(start) {
		return goals.Compute(m, nil, start, end, now), nil
	}
	if filter == nil {
		v, known, err := src.GoalMetric(ctx, q)
		if err != nil {
			return goals.Measure{}, fmt.Errorf("computing %s: %w", m, err)
		}
		if !known {
			return goals.Measure{}, nil
		}
		return goals.Known(v), nil
	}
	var matched []*lead.Lead
	err := src.GoalLeads(ctx, q, func(l *lead.Lead) error {
		if ok, err := filter.Eval(celenv.FromLead(l)); err == nil && ok {
			matched = append(matched, l)
		}
		return nil
	})
	if err != nil {
		return goals.Measure{}, fmt.Errorf("reading the leads of %s: %w", m, err)
	}
	return goals.Compute(m, matched, start, end, now), nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

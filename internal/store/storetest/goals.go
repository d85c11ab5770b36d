package storetest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// goalTests are run by Run for every backend (each must implement store.Goals).
var goalTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"GoalMetricMatchesCompute", testGoalMetric},
	{"GoalMetricBoundariesAndUnknown", testGoalBoundaries},
	{"GoalLeads", testGoalLeads},
	{"TeamFlow", testTeamFlow},
	{"GoalsInvalidMetric", testGoalsInvalid},
}

func asGoals(t *testing.T, s store.Store) store.Goals {
	t.Helper()
	g, ok := s.(store.Goals)
	if !ok {
		t.Fatalf("%T does not implement store.Goals", s)
	}
	return g
}

// The goal period of the seeded leads: Q2 2026.
var (
	gStart = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	gEnd   = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
)

const (
	teamAlpha = "ns/alpha"
	teamBeta  = "ns/beta"
	teamGamma = "ns/gamma" // routed in the period, never touched
	teamDelta = "ns/delta" // won in the period, routed before it
)

func gtp(t time.Time) *time.Time { return &t }

// goalSeed is one lead to seed: its final stage, team, and the times of every step.
type goalSeed struct {
	stage                lead.Stage
	team                 string
	q, r, touch, acc, cl time.Time
	ftDue, accDue        *time.Time
	breaches             int
	amount               float64
	reassignTo           string    // reassigned (re-routed) to this team at r2, before the touch
	r2                   time.Time // the new routed_at
	edge, reassigned     bool      // recorded in seeded
}

// seeded is what seedGoals put in the store.
type seeded struct {
	leads []*lead.Lead // every lead, as read back from the store
	edges map[time.Time][]string
	// reassigned: a lead first routed to alpha, then re-routed to beta at its routed_at.
	reassigned *lead.Lead
}

// seedGoals puts a realistic mix of leads into every stage through the store's write paths (upsert,
// CommitDecisions, Update, Apply) with known stage times around the goal period, including leads
// whose every stage time is exactly the period's start or end (or a microsecond before).
func seedGoals(t *testing.T, s store.Store) seeded {
	t.Helper()
	rng := rand.New(rand.NewPCG(6, 2026))
	at := func(lo, hi time.Time) time.Time { // a random microsecond in [lo, hi)
		return lo.Add(time.Duration(rng.Int64N(int64(hi.Sub(lo)/time.Microsecond))) * time.Microsecond)
	}
	span := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Microsecond)))*time.Microsecond
	}
	stages := []lead.Stage{lead.StageNew, lead.StageQualified, lead.StageDisqualified, lead.StageRouted, lead.StageRouted,
		lead.StageTouched, lead.StageTouched, lead.StageAccepted, lead.StageRejected, lead.StageWon, lead.StageWon, lead.StageLost}
	var seeds []goalSeed
	for i := range 90 {
		sd := goalSeed{stage: stages[rng.IntN(len(stages))], team: []string{teamAlpha, teamBeta}[i%2]}
		sd.q = at(gStart.Add(-30*24*time.Hour), gEnd.Add(20*24*time.Hour))
		sd.r = sd.q.Add(span(0, 3*24*time.Hour))
		sd.touch = sd.r.Add(span(time.Minute, 5*24*time.Hour))
		sd.acc = sd.touch.Add(span(time.Hour, 10*24*time.Hour))
		sd.cl = sd.acc.Add(span(24*time.Hour, 40*24*time.Hour))
		sd.amount = float64(1000 * (1 + rng.IntN(50)))
		switch rng.IntN(4) {
		case 0: // no SLA
		case 1:
			sd.ftDue = gtp(sd.r.Add(span(time.Hour, 20*24*time.Hour)))
		default:
			sd.ftDue = gtp(sd.r.Add(span(time.Hour, 20*24*time.Hour)))
			sd.accDue = gtp(sd.ftDue.Add(span(time.Hour, 30*24*time.Hour)))
		}
		if rng.IntN(6) == 0 {
			sd.breaches = 1 + rng.IntN(2)
		}
		if i%9 == 0 && (sd.stage == lead.StageTouched || sd.stage == lead.StageAccepted || sd.stage == lead.StageWon) {
			sd.reassignTo, sd.r2 = teamBeta, sd.r.Add(sd.touch.Sub(sd.r)/2).Truncate(time.Microsecond)
			sd.team = teamAlpha
		}
		seeds = append(seeds, sd)
	}
	// Every stage time exactly on (or a microsecond before) the period's edges.
	edges := []time.Time{gStart.Add(-time.Microsecond), gStart, gEnd.Add(-time.Microsecond), gEnd}
	for _, e := range edges {
		for _, team := range []string{teamAlpha, teamBeta} {
			seeds = append(seeds, goalSeed{stage: lead.StageWon, team: team, q: e, r: e, touch: e, acc: e, cl: e, amount: 500, edge: true})
		}
	}
	// The reassignment TeamFlow checks: routed to alpha before the period, re-routed to beta inside it.
	re := goalSeed{stage: lead.StageTouched, team: teamAlpha, q: gStart.Add(-48 * time.Hour), r: gStart.Add(-47 * time.Hour),
		reassignTo: teamBeta, r2: gStart.Add(10 * 24 * time.Hour), touch: gStart.Add(11 * 24 * time.Hour), reassigned: true}
	seeds = append(seeds, re)
	// Gamma: routed in the period, never touched. Delta: routed before the period, won inside it.
	for i := range 3 {
		r := gStart.Add(time.Duration(i+1) * 24 * time.Hour)
		seeds = append(seeds, goalSeed{stage: lead.StageRouted, team: teamGamma, q: r, r: r, ftDue: gtp(gEnd.Add(24 * time.Hour))})
	}
	seeds = append(seeds, goalSeed{stage: lead.StageWon, team: teamDelta, q: gStart.Add(-90 * 24 * time.Hour),
		r: gStart.Add(-89 * 24 * time.Hour), touch: gStart.Add(-88 * 24 * time.Hour), acc: gStart.Add(-80 * 24 * time.Hour),
		cl: gStart.Add(5 * 24 * time.Hour), amount: 42000})

	out := seeded{edges: map[time.Time][]string{}}
	var reID string
	for i, sd := range seeds {
		l := seedOne(t, s, i, sd)
		if sd.edge {
			out.edges[sd.q] = append(out.edges[sd.q], l.ID)
		}
		if sd.reassigned {
			reID = l.ID
		}
	}
	out.leads = allLeads(t, s)
	for _, l := range out.leads {
		if l.ID == reID {
			out.reassigned = l
		}
	}
	return out
}

func seedOne(t *testing.T, s store.Store, i int, sd goalSeed) *lead.Lead {
	t.Helper()
	l := mustUpsert(t, s, input(fmt.Sprintf("goal-%d", i)))
	act := func(kind lead.ActivityKind, at time.Time) {
		t.Helper()
		a := activity(kind)
		a.At = at
		if kind == lead.ActivityWin {
			a.Amount = sd.amount
		}
		var err error
		if l, err = s.Apply(ctx(t), l.ID, a); err != nil {
			t.Fatalf("seed lead %d: %s: %v", i, kind, err)
		}
	}
	switch sd.stage {
	case lead.StageNew:
		return l
	case lead.StageQualified:
		act(lead.ActivityQualify, sd.q)
		return l
	case lead.StageDisqualified:
		act(lead.ActivityQualify, sd.q)
		act(lead.ActivityDisqualify, sd.q.Add(time.Hour))
		return l
	}
	// Qualified and routed in one routing decision, as the router commits it.
	next := *l
	next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, "rep-"+sd.team, sd.team, "ns/p", "r1"
	next.QualifiedAt, next.RoutedAt = gtp(sd.q), gtp(sd.r)
	next.FirstTouchDue, next.AcceptanceDue = sd.ftDue, sd.accDue
	r, ok := s.(store.Router)
	if !ok {
		t.Fatalf("%T does not implement store.Router", s)
	}
	applied, conflicts, err := r.CommitDecisions(ctx(t), []store.Decision{{Lead: &next, Via: []lead.Stage{lead.StageQualified},
		Events: []store.AuditEvent{{Actor: "controller", Type: lead.EventRouted}}}})
	if err != nil || len(applied) != 1 || len(conflicts) != 0 {
		t.Fatalf("seed lead %d: CommitDecisions: %v (conflicts %v)", i, err, conflicts)
	}
	l = applied[0]
	if sd.breaches > 0 || sd.reassignTo != "" {
		next := *l
		next.BreachCount = sd.breaches
		if sd.reassignTo != "" {
			next.BreachCount++
			next.Team, next.Owner, next.RoutedAt, next.TouchedAt = sd.reassignTo, "rep-"+sd.reassignTo, gtp(sd.r2), nil
			next.PreviousOwners, next.ReassignmentCount = []string{l.Owner}, 1
		}
		next.LastBreachAt = gtp(sd.r.Add(time.Minute))
		if l, err = s.Update(ctx(t), &next, store.AuditEvent{Actor: "sla-clock", Type: lead.EventReassigned}); err != nil {
			t.Fatalf("seed lead %d: Update: %v", i, err)
		}
	}
	if sd.stage == lead.StageRouted {
		return l
	}
	act(lead.ActivityTouch, sd.touch)
	switch sd.stage {
	case lead.StageRejected:
		act(lead.ActivityReject, sd.acc)
	case lead.StageAccepted:
		act(lead.ActivityAccept, sd.acc)
	case lead.StageWon:
		act(lead.ActivityAccept, sd.acc)
		act(lead.ActivityWin, sd.cl)
	case lead.StageLost:
		act(lead.ActivityAccept, sd.acc)
		act(lead.ActivityLose, sd.cl)
	}
	if l.Stage != sd.stage {
		t.Fatalf("seed lead %d: in stage %s, want %s", i, l.Stage, sd.stage)
	}
	return l
}

// allLeads reads every lead back.
func allLeads(t *testing.T, s store.Store) []*lead.Lead {
	t.Helper()
	var out []*lead.Lead
	cursor := ""
	for range 1000 {
		p, err := s.ListLeads(ctx(t), store.ListFilter{Cursor: cursor, Limit: store.MaxPageSize})
		if err != nil {
			t.Fatalf("ListLeads: %v", err)
		}
		out = append(out, p.Leads...)
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
	t.Fatal("too many pages")
	return nil
}

func ofTeam(ls []*lead.Lead, team string) []*lead.Lead {
	if team == "" {
		return ls
	}
	var out []*lead.Lead
	for _, l := range ls {
		if l.Team == team {
			out = append(out, l)
		}
	}
	return out
}

// leadTime returns the lead's timestamp a goals.TimeField column names.
func leadTime(l *lead.Lead, col string) *time.Time {
	switch col {
	case "created_at":
		return &l.CreatedAt
	case "qualified_at":
		return l.QualifiedAt
	case "routed_at":
		return l.RoutedAt
	case "touched_at":
		return l.TouchedAt
	case "accepted_at":
		return l.AcceptedAt
	case "closed_at":
		return l.ClosedAt
	}
	panic("unknown time column " + col)
}

func inPeriod(t *time.Time, start, end time.Time) bool {
	return t != nil && !t.Before(start) && t.Before(end)
}

type period struct {
	name       string
	start, end time.Time
}

// goalPeriods are the periods the oracle comparisons run over: the quarter, its edges, one
// microsecond-wide periods on the edges, an empty stretch, and periods between lead creations.
func goalPeriods(ls []*lead.Lead) []period {
	ps := []period{
		{"quarter", gStart, gEnd},
		{"quarter-1us", gStart.Add(-time.Microsecond), gEnd.Add(-time.Microsecond)},
		{"at-start", gStart, gStart.Add(time.Microsecond)},
		{"at-end", gEnd, gEnd.Add(time.Microsecond)},
		{"after", gEnd, gEnd.Add(60 * 24 * time.Hour)},
		{"first-week", gStart, gStart.Add(7 * 24 * time.Hour)},
		{"empty", gStart.AddDate(-5, 0, 0), gStart.AddDate(-4, 0, 0)},
		{"everything", gStart.AddDate(-5, 0, 0), gEnd.AddDate(5, 0, 0)},
	}
	// Creation times come from the store's clock: periods starting and ending exactly on them.
	created := make([]time.Time, len(ls))
	for i, l := range ls {
		created[i] = l.CreatedAt
	}
	slices.SortFunc(created, func(a, b time.Time) int { return a.Compare(b) })
	n := len(created)
	ps = append(ps, period{"created-middle", created[n/4], created[3*n/4]}, period{"created-one", created[n/2], created[n/2].Add(time.Microsecond)})
	return ps
}

var goalScopes = []string{"", teamAlpha, teamBeta, teamGamma, teamDelta, "ns/nobody"}

func sameValue(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// testGoalMetric: every metric, for every lead and for single teams, over many periods and at two
// points in time, equals goals.Compute over the same leads read back from the store.
func testGoalMetric(t *testing.T, s store.Store) {
	g := asGoals(t, s)
	sd := seedGoals(t, s)
	nows := []time.Time{gStart.Add(45 * 24 * time.Hour), gEnd.Add(90 * 24 * time.Hour)}
	// And exactly on an open handoff's deadline, where it turns breached (at or before now).
	var ft, acc bool
	for _, l := range sd.leads {
		if l.BreachCount > 0 {
			continue
		}
		if !ft && l.Stage == lead.StageRouted && l.FirstTouchDue != nil && l.AcceptanceDue == nil {
			nows, ft = append(nows, *l.FirstTouchDue), true
		}
		if !acc && l.Stage == lead.StageTouched && l.AcceptanceDue != nil {
			nows, acc = append(nows, *l.AcceptanceDue), true
		}
	}
	if !ft || !acc {
		t.Fatal("the seed has no open handoff with a deadline")
	}
	checked := 0
	for _, m := range goals.Metrics {
		for _, team := range goalScopes {
			leads := ofTeam(sd.leads, team)
			for _, p := range goalPeriods(sd.leads) {
				for _, now := range nows {
					want := goals.Compute(m, leads, p.start, p.end, now)
					v, known, err := g.GoalMetric(ctx(t), store.GoalQuery{Metric: string(m), Team: team, Start: p.start, End: p.end, Now: now})
					if err != nil {
						t.Fatalf("%s team %q %s: %v", m, team, p.name, err)
					}
					if known != want.Valid || (known && !sameValue(v, want.Value)) {
						t.Errorf("%s team %q %s now %s: got %v (known %v), Compute says %v (known %v)",
							m, team, p.name, now.Format(time.RFC3339), v, known, want.Value, want.Valid)
					}
					checked++
				}
			}
		}
	}
	// The comparison is only worth something if the seed gives non-trivial values.
	// (New leads are created at the store's clock, not in the quarter: the created-middle period
	// holds half of them.)
	for _, m := range goals.Metrics {
		start, end := gStart, gEnd
		if m == goals.MetricNewLeads {
			ps := goalPeriods(sd.leads)
			start, end = ps[len(ps)-2].start, ps[len(ps)-2].end
		}
		if w := goals.Compute(m, ofTeam(sd.leads, teamAlpha), start, end, nows[0]); !w.Valid || w.Value == 0 {
			t.Errorf("seed gives %s = %v for %s over the quarter: not a useful oracle check", m, w, teamAlpha)
		}
	}
	t.Logf("%d goal metrics compared with goals.Compute", checked)
}

// testGoalBoundaries checks the period edges and the unknown cases against hand-computed numbers.
func testGoalBoundaries(t *testing.T, s store.Store) {
	g := asGoals(t, s)
	sd := seedGoals(t, s)
	now := gEnd.Add(time.Hour)
	metric := func(m goals.Metric, team string, start, end time.Time) (float64, bool) {
		t.Helper()
		v, known, err := g.GoalMetric(ctx(t), store.GoalQuery{Metric: string(m), Team: team, Start: start, End: end, Now: now})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		return v, known
	}
	// Two leads (one per team) have every stage time exactly at each edge: a one-microsecond period
	// starting on the edge holds exactly those (start included), one ending on it holds none of them.
	for _, e := range []time.Time{gStart, gEnd} {
		if n := len(sd.edges[e]); n != 2 {
			t.Fatalf("%d edge leads at %v", n, e)
		}
		for _, m := range []goals.Metric{goals.MetricMQLs, goals.MetricAccepted, goals.MetricSQLs, goals.MetricWonDeals} {
			if v, _ := metric(m, "", e, e.Add(time.Microsecond)); v != 2 {
				t.Errorf("%s over [%v, +1µs) = %v, want the 2 leads at the start", m, e, v)
			}
			if v, _ := metric(m, teamAlpha, e, e.Add(time.Microsecond)); v != 1 {
				t.Errorf("%s of %s over [%v, +1µs) = %v, want 1", m, teamAlpha, e, v)
			}
			// Ending on e: the leads at e-1µs only.
			if v, _ := metric(m, "", e.Add(-time.Microsecond), e); v != 2 {
				t.Errorf("%s over [%v-1µs, %v) = %v, want the 2 leads at e-1µs", m, e, e, v)
			}
		}
		if v, _ := metric(goals.MetricRevenue, "", e, e.Add(time.Microsecond)); v != 1000 {
			t.Errorf("revenue at %v = %v, want 1000", e, v)
		}
		if v, known := metric(goals.MetricTimeToFirstTouch, "", e, e.Add(time.Microsecond)); !known || v != 0 {
			t.Errorf("time to first touch at %v = %v (known %v), want 0", e, v, known)
		}
		if v, known := metric(goals.MetricConversionRate, teamBeta, e, e.Add(time.Microsecond)); !known || v != 100 {
			t.Errorf("conversion rate at %v = %v (known %v), want 100", e, v, known)
		}
	}
	// Nothing to measure: a rate or median over no leads is unknown, a count is a known zero.
	empty := gStart.AddDate(-5, 0, 0)
	for _, m := range goals.Metrics {
		v, known := metric(m, "", empty, empty.AddDate(1, 0, 0))
		if m.Cumulative() != known || v != 0 {
			t.Errorf("%s over an empty year = %v (known %v)", m, v, known)
		}
	}
	// Gamma's leads were routed in the quarter and never touched: no median, a known 0% conversion,
	// and no compliance while their deadline is ahead.
	if _, known := metric(goals.MetricTimeToFirstTouch, teamGamma, gStart, gEnd); known {
		t.Error("time to first touch of a team that touched nothing is known")
	}
	if v, known := metric(goals.MetricConversionRate, teamGamma, gStart, gEnd); !known || v != 0 {
		t.Errorf("conversion rate of %s = %v (known %v), want a known 0", teamGamma, v, known)
	}
	v, known, err := g.GoalMetric(ctx(t), store.GoalQuery{Metric: string(goals.MetricSLACompliance), Team: teamGamma, Start: gStart, End: gEnd, Now: gStart.Add(10 * 24 * time.Hour)})
	if err != nil || known {
		t.Errorf("SLA compliance of pending handoffs = %v (known %v, %v), want unknown", v, known, err)
	}
	// ... and once their first-touch deadline has passed, all three are breached.
	v, known, err = g.GoalMetric(ctx(t), store.GoalQuery{Metric: string(goals.MetricSLACompliance), Team: teamGamma, Start: gStart, End: gEnd, Now: gEnd.Add(2 * 24 * time.Hour)})
	if err != nil || !known || v != 0 {
		t.Errorf("SLA compliance of overdue handoffs = %v (known %v), want 0", v, known)
	}
	// Delta won a deal in the quarter from a lead routed before it: nothing routed, so no rate.
	if _, known := metric(goals.MetricConversionRate, teamDelta, gStart, gEnd); known {
		t.Error("conversion rate with nothing routed in the period is known")
	}
	if v, _ := metric(goals.MetricRevenue, teamDelta, gStart, gEnd); v != 42000 {
		t.Errorf("revenue of %s = %v, want 42000", teamDelta, v)
	}
}

// testGoalLeads: GoalLeads streams exactly the leads whose metric time is in the period.
func testGoalLeads(t *testing.T, s store.Store) {
	g := asGoals(t, s)
	sd := seedGoals(t, s)
	for _, m := range goals.Metrics {
		col := goals.TimeField(m)
		for _, team := range goalScopes {
			for _, p := range goalPeriods(sd.leads) {
				var want []string
				for _, l := range ofTeam(sd.leads, team) {
					if inPeriod(leadTime(l, col), p.start, p.end) ||
						(m == goals.MetricConversionRate && inPeriod(l.ClosedAt, p.start, p.end)) {
						want = append(want, l.ID)
					}
				}
				var got []string
				err := g.GoalLeads(ctx(t), store.GoalQuery{Metric: string(m), Team: team, Start: p.start, End: p.end, Now: gEnd},
					func(l *lead.Lead) error { got = append(got, l.ID); return nil })
				if err != nil {
					t.Fatalf("GoalLeads %s team %q %s: %v", m, team, p.name, err)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("GoalLeads %s team %q %s: got %d leads %v, want %d %v", m, team, p.name, len(got), got, len(want), want)
				}
			}
		}
	}
	// The quarter holds the leads on its start and none of those on its end. The streamed leads are
	// whole (what GetLead returns), and fn may use the store while the stream is open.
	var got []string
	if err := g.GoalLeads(ctx(t), store.GoalQuery{Metric: string(goals.MetricMQLs), Start: gStart, End: gEnd},
		func(l *lead.Lead) error {
			got = append(got, l.ID)
			if read := mustGet(t, s, l.ID); !reflect.DeepEqual(read, l) {
				return fmt.Errorf("streamed lead %+v, GetLead returns %+v", l, read)
			}
			return nil
		}); err != nil {
		t.Fatal(err)
	}
	for _, id := range sd.edges[gStart] {
		if !slices.Contains(got, id) {
			t.Errorf("lead %s qualified at the start is missing", id)
		}
	}
	for _, id := range sd.edges[gEnd] {
		if slices.Contains(got, id) {
			t.Errorf("lead %s qualified at the end is included", id)
		}
	}
	// An error from fn stops the stream and comes back.
	stop := errors.New("stop")
	calls := 0
	err := g.GoalLeads(ctx(t), store.GoalQuery{Metric: string(goals.MetricNewLeads), Start: gStart.AddDate(-5, 0, 0), End: gEnd.AddDate(5, 0, 0)},
		func(*lead.Lead) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("GoalLeads with a failing fn: err %v after %d calls", err, calls)
	}
}

// testTeamFlow: in counts the team's leads routed in the window (a reassigned lead for its new
// team), out its leads first touched in it.
func testTeamFlow(t *testing.T, s store.Store) {
	g := asGoals(t, s)
	sd := seedGoals(t, s)
	windows := []period{{"quarter", gStart, gEnd}, {"week", gStart.Add(7 * 24 * time.Hour), gStart.Add(14 * 24 * time.Hour)},
		{"at-start", gStart, gStart.Add(time.Microsecond)}, {"empty", gStart.AddDate(-5, 0, 0), gStart.AddDate(-4, 0, 0)}}
	for _, team := range goalScopes {
		for _, w := range windows {
			var wantIn, wantOut int64
			for _, l := range ofTeam(sd.leads, team) {
				if inPeriod(l.RoutedAt, w.start, w.end) {
					wantIn++
				}
				if inPeriod(l.TouchedAt, w.start, w.end) {
					wantOut++
				}
			}
			in, out, err := g.TeamFlow(ctx(t), team, w.start, w.end)
			if err != nil {
				t.Fatalf("TeamFlow %q %s: %v", team, w.name, err)
			}
			if in != wantIn || out != wantOut {
				t.Errorf("TeamFlow %q %s = in %d, out %d; want %d, %d", team, w.name, in, out, wantIn, wantOut)
			}
		}
	}
	// Hand-computed: the edge leads at the start are one routed-and-touched lead per team; gamma's
	// three leads were routed in the quarter and never touched.
	if in, out, _ := g.TeamFlow(ctx(t), teamAlpha, gStart, gStart.Add(time.Microsecond)); in != 1 || out != 1 {
		t.Errorf("alpha at the start: in %d, out %d; want 1, 1", in, out)
	}
	if in, out, _ := g.TeamFlow(ctx(t), teamGamma, gStart, gEnd); in != 3 || out != 0 {
		t.Errorf("gamma over the quarter: in %d, out %d; want 3, 0", in, out)
	}
	// The lead reassigned from alpha to beta ten days into the quarter counts for beta only.
	re := sd.reassigned
	if re == nil || re.Team != teamBeta || !re.RoutedAt.Equal(gStart.Add(10*24*time.Hour)) {
		t.Fatalf("reassigned lead: %+v", re)
	}
	day := gStart.Add(10 * 24 * time.Hour)
	inB, _, _ := g.TeamFlow(ctx(t), teamBeta, day, day.Add(time.Microsecond))
	inA, _, _ := g.TeamFlow(ctx(t), teamAlpha, gStart.Add(-48*time.Hour), day.Add(time.Microsecond))
	wantA := int64(0)
	for _, l := range ofTeam(sd.leads, teamAlpha) {
		if inPeriod(l.RoutedAt, gStart.Add(-48*time.Hour), day.Add(time.Microsecond)) {
			wantA++
		}
	}
	if inB != 1 || inA != wantA {
		t.Errorf("reassigned lead: beta in %d (want 1), alpha in %d (want %d, without it)", inB, inA, wantA)
	}
}

func testGoalsInvalid(t *testing.T, s store.Store) {
	g := asGoals(t, s)
	q := store.GoalQuery{Metric: "Happiness", Start: gStart, End: gEnd, Now: gEnd}
	if _, _, err := g.GoalMetric(ctx(t), q); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("GoalMetric with an unknown metric: %v", err)
	}
	if err := g.GoalLeads(ctx(t), q, func(*lead.Lead) error { return nil }); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("GoalLeads with an unknown metric: %v", err)
	}
}

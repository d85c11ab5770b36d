package experiment

import (
	"math"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
)

// testLeads are leads of every kind the metric definitions distinguish, all inside one window, with
// their arm in Policy (standing in for the arm the router records).
func testLeads(base time.Time) []*lead.Lead {
	at := func(h int) *time.Time { t := base.Add(time.Duration(h) * time.Hour); return &t }
	mk := func(arm string, f func(l *lead.Lead)) *lead.Lead {
		l := &lead.Lead{Stage: lead.StageNew, CreatedAt: *at(0), Policy: arm}
		f(l)
		return l
	}
	var out []*lead.Lead
	for i, arm := range []string{"a", "b", "a", "b"} {
		amount := float64(1000 * (i + 1))
		out = append(out,
			mk(arm, func(l *lead.Lead) {}), // never routed: in no rate
			mk(arm, func(l *lead.Lead) { // won
				l.Stage, l.QualifiedAt, l.RoutedAt, l.TouchedAt, l.AcceptedAt, l.ClosedAt, l.Amount = lead.StageWon, at(1), at(1), at(2+i), at(5), at(40), amount
			}),
			mk(arm, func(l *lead.Lead) { // accepted then lost
				l.Stage, l.QualifiedAt, l.RoutedAt, l.TouchedAt, l.AcceptedAt, l.ClosedAt = lead.StageLost, at(1), at(1), at(4), at(6), at(50)
			}),
			mk(arm, func(l *lead.Lead) { // breached, touched, rejected
				l.Stage, l.QualifiedAt, l.RoutedAt, l.TouchedAt, l.RejectedAt, l.BreachCount = lead.StageRejected, at(2), at(2), at(9+i), at(12), 1
			}),
			mk(arm, func(l *lead.Lead) { // routed, overdue as of now
				due := *at(20)
				l.Stage, l.QualifiedAt, l.RoutedAt, l.FirstTouchDue = lead.StageRouted, at(3), at(3), &due
			}),
			mk(arm, func(l *lead.Lead) { // routed, within its SLA: pending
				due := *at(500)
				l.Stage, l.QualifiedAt, l.RoutedAt, l.FirstTouchDue = lead.StageRouted, at(3), at(3), &due
			}),
		)
		if arm == "b" {
			out = append(out, mk(arm, func(l *lead.Lead) { // a second won deal in b
				l.Stage, l.QualifiedAt, l.RoutedAt, l.TouchedAt, l.AcceptedAt, l.ClosedAt, l.Amount = lead.StageWon, at(1), at(1), at(1), at(2), at(30), 500
			}))
		}
	}
	return out
}

// TestSamplesAgreeWithGoals checks that each arm's figure is what a TeamGoal over the same leads
// reports: the same metric definitions, not a second copy of them.
func TestSamplesAgreeWithGoals(t *testing.T) {
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	now := base.Add(100 * time.Hour)
	start, end := base.Add(-time.Hour), base.Add(1000*time.Hour)
	leads := testLeads(base)
	byArm := map[string][]*lead.Lead{}
	for _, l := range leads {
		byArm[l.Policy] = append(byArm[l.Policy], l)
	}
	armOf := func(l *lead.Lead) string { return l.Policy }
	arms := []string{"a", "b"}
	compute := func(m goals.Metric, arm string) float64 {
		g := goals.Compute(m, byArm[arm], start, end, now)
		if !g.Valid {
			t.Fatalf("goals.Compute(%s) over arm %s is unknown", m, arm)
		}
		return g.Value
	}
	routed := func(arm string) float64 {
		n := 0.0
		for _, l := range byArm[arm] {
			if l.RoutedAt != nil {
				n++
			}
		}
		return n
	}
	cases := []struct {
		m    Metric
		want func(arm string) float64
	}{
		{ConversionRate, func(arm string) float64 { return compute(goals.MetricConversionRate, arm) }},
		{SLACompliance, func(arm string) float64 { return compute(goals.MetricSLACompliance, arm) }},
		{TimeToFirstTouch, func(arm string) float64 { return compute(goals.MetricTimeToFirstTouch, arm) }},
		// TeamGoal has no per-lead rate of these two; they are its counts over the routed leads.
		{AcceptanceRate, func(arm string) float64 { return 100 * compute(goals.MetricAccepted, arm) / routed(arm) }},
		{RevenuePerLead, func(arm string) float64 { return compute(goals.MetricRevenue, arm) / routed(arm) }},
	}
	for _, tc := range cases {
		t.Run(string(tc.m), func(t *testing.T) {
			samples, err := Samples(tc.m, arms, leads, armOf, now)
			if err != nil {
				t.Fatal(err)
			}
			figs := Figures(tc.m, 0.95, samples)
			for i, arm := range arms {
				want := tc.want(arm)
				if !figs[i].HasValue || math.Abs(figs[i].Value-want) > 1e-9 {
					t.Errorf("arm %s: %v (known %v), TeamGoal says %v", arm, figs[i].Value, figs[i].HasValue, want)
				}
				if figs[i].Leads != int64(len(byArm[arm])) {
					t.Errorf("arm %s: %d leads, want %d", arm, figs[i].Leads, len(byArm[arm]))
				}
			}
		})
	}
	// The arms really differ, so agreement is not a coincidence of equal arms.
	s, _ := Samples(ConversionRate, arms, leads, armOf, now)
	if s[0].Events == s[1].Events {
		t.Fatalf("test data: both arms won %d deals", s[0].Events)
	}
}

func TestSamplesUnassignedAndUnknown(t *testing.T) {
	c := NewCollector(AcceptanceRate, []string{"a", "b"}, time.Time{})
	c.Add("", &lead.Lead{})
	c.Add("z", &lead.Lead{})
	if c.Unassigned != 2 || c.Samples()[0].Leads != 0 {
		t.Errorf("unassigned %d, samples %+v", c.Unassigned, c.Samples())
	}
	if _, err := Samples("Bogus", []string{"a"}, nil, func(*lead.Lead) string { return "a" }, time.Time{}); err == nil {
		t.Error("an unknown metric was accepted")
	}
}

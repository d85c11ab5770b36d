package goals

import (
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

func TestCompute(t *testing.T) {
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	at := func(day int) *time.Time { t := start.AddDate(0, 0, day); return &t }
	before, after := start.Add(-time.Nanosecond), end
	mk := func(f func(l *lead.Lead)) *lead.Lead {
		l := &lead.Lead{Stage: lead.StageNew, CreatedAt: *at(1)}
		f(l)
		return l
	}
	leads := []*lead.Lead{
		mk(func(l *lead.Lead) {}),                       // new, in period
		mk(func(l *lead.Lead) { l.CreatedAt = before }), // before the period
		mk(func(l *lead.Lead) { l.CreatedAt = after }),  // end is exclusive
		mk(func(l *lead.Lead) { // won deal, touched after 30 minutes
			l.Stage, l.QualifiedAt, l.RoutedAt, l.AcceptedAt, l.ClosedAt, l.Amount = lead.StageWon, at(2), at(2), at(3), at(10), 12000
			tt := at(2).Add(30 * time.Minute)
			l.TouchedAt = &tt
		}),
		mk(func(l *lead.Lead) { // lost after acceptance: accepted but not an SQL
			l.Stage, l.QualifiedAt, l.RoutedAt, l.AcceptedAt, l.ClosedAt = lead.StageLost, at(2), at(2), at(4), at(20)
			tt := at(2).Add(90 * time.Minute)
			l.TouchedAt = &tt
		}),
		mk(func(l *lead.Lead) { // breached once, then touched
			l.Stage, l.QualifiedAt, l.RoutedAt, l.BreachCount = lead.StageTouched, at(5), at(5), 1
			tt := at(5).Add(3 * time.Hour)
			l.TouchedAt = &tt
		}),
		mk(func(l *lead.Lead) { // routed, overdue now, never touched
			due := now.Add(-time.Minute)
			l.Stage, l.QualifiedAt, l.RoutedAt, l.FirstTouchDue = lead.StageRouted, at(30), at(30), &due
		}),
		mk(func(l *lead.Lead) { // routed, still within its SLA: pending, not counted
			due := now.Add(time.Hour)
			l.Stage, l.QualifiedAt, l.RoutedAt, l.FirstTouchDue = lead.StageRouted, at(30), at(30), &due
		}),
		mk(func(l *lead.Lead) { // won in the previous quarter: not this period's revenue
			l.Stage, l.ClosedAt, l.Amount = lead.StageWon, &before, 5000
		}),
	}
	cases := []struct {
		m    Metric
		want Measure
	}{
		{MetricNewLeads, Known(7)},
		{MetricMQLs, Known(5)},
		{MetricAccepted, Known(2)},
		{MetricSQLs, Known(1)},
		{MetricWonDeals, Known(1)},
		{MetricRevenue, Known(12000)},
		{MetricConversionRate, Known(20)},           // 1 won of 5 routed
		{MetricSLACompliance, Known(100.0 * 2 / 4)}, // won + lost compliant; breached + overdue not
		{MetricTimeToFirstTouch, Known(90 * 60)},    // lower median of 30m, 90m, 3h
	}
	for _, tc := range cases {
		t.Run(string(tc.m), func(t *testing.T) {
			if got := Compute(tc.m, leads, start, end, now); got != tc.want {
				t.Fatalf("Compute(%s) = %+v, want %+v", tc.m, got, tc.want)
			}
		})
	}
	for _, m := range []Metric{MetricConversionRate, MetricSLACompliance, MetricTimeToFirstTouch} {
		if got := Compute(m, nil, start, end, now); got.Valid {
			t.Errorf("Compute(%s) over no leads = %+v, want unknown", m, got)
		}
	}
	if got := Compute(MetricNewLeads, nil, start, end, now); got != Known(0) {
		t.Errorf("NewLeads over no leads = %+v, want a known 0", got)
	}
}

package goals

import (
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Metric definitions over leads, shared by the reference computation below (used for CEL-filtered
// goals and as the oracle in the store's tests) and the store's SQL aggregates. A lead counts in the
// period [start, end) by the timestamp its metric names:
//
//	NewLeads          CreatedAt in the period
//	MQLs              QualifiedAt in the period
//	Accepted          AcceptedAt in the period
//	SQLs              AcceptedAt in the period and stage accepted or won (a lost deal was never an SQL)
//	WonDeals          stage won and ClosedAt in the period
//	Revenue           sum of Amount over WonDeals
//	ConversionRate    WonDeals ÷ leads with RoutedAt in the period, as a percentage (unknown if none routed)
//	SLACompliance     over leads with QualifiedAt in the period and RoutedAt set, the decided ones:
//	                  Breached when BreachCount > 0 or a deadline is at or before now with the handoff
//	                  still open; Compliant when touched, never breached and not overdue now.
//	                  Compliant ÷ (Compliant + Breached) as a percentage (unknown if none decided)
//	TimeToFirstTouch  lower median of TouchedAt − RoutedAt over leads with TouchedAt in the period,
//	                  in seconds (unknown if none)

// TimeField names the lead timestamp that places a lead in a metric's period, as the store's
// column names spell it.
func TimeField(m Metric) string {
	switch m {
	case MetricNewLeads:
		return "created_at"
	case MetricMQLs, MetricSLACompliance:
		return "qualified_at"
	case MetricAccepted, MetricSQLs:
		return "accepted_at"
	case MetricWonDeals, MetricRevenue:
		return "closed_at"
	case MetricConversionRate:
		return "routed_at" // and closed_at for the numerator
	case MetricTimeToFirstTouch:
		return "touched_at"
	}
	return "created_at"
}

func in(t *time.Time, start, end time.Time) bool {
	return t != nil && !t.Before(start) && t.Before(end)
}

// Compute evaluates metric m over leads (already narrowed to the goal's team and filter) for the
// period [start, end), as of now.
func Compute(m Metric, leads []*lead.Lead, start, end, now time.Time) Measure {
	var n, num, den float64
	var ttft []float64
	for _, l := range leads {
		created := l.CreatedAt
		switch m {
		case MetricNewLeads:
			if in(&created, start, end) {
				n++
			}
		case MetricMQLs:
			if in(l.QualifiedAt, start, end) {
				n++
			}
		case MetricAccepted:
			if in(l.AcceptedAt, start, end) {
				n++
			}
		case MetricSQLs:
			if in(l.AcceptedAt, start, end) && (l.Stage == lead.StageAccepted || l.Stage == lead.StageWon) {
				n++
			}
		case MetricWonDeals:
			if IsWon(l) && in(l.ClosedAt, start, end) {
				n++
			}
		case MetricRevenue:
			if in(l.ClosedAt, start, end) {
				n += WonRevenue(l)
			}
		case MetricConversionRate:
			if IsWon(l) && in(l.ClosedAt, start, end) {
				num++
			}
			if in(l.RoutedAt, start, end) {
				den++
			}
		case MetricSLACompliance:
			if !in(l.QualifiedAt, start, end) {
				continue
			}
			if decided, compliant := SLADecided(l, now); decided {
				den++
				if compliant {
					num++
				}
			}
		case MetricTimeToFirstTouch:
			if s, ok := FirstTouchSeconds(l); ok && in(l.TouchedAt, start, end) {
				ttft = append(ttft, s)
			}
		}
	}
	switch m {
	case MetricConversionRate, MetricSLACompliance:
		if den == 0 {
			return Measure{}
		}
		return Known(100 * num / den)
	case MetricTimeToFirstTouch:
		if len(ttft) == 0 {
			return Measure{}
		}
		return Known(LowerMedian(ttft))
	}
	return Known(n)
}

package goals

import (
	"sort"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Per-lead predicates of the metric definitions (see compute.go), exported so that LeadExperiment's
// per-arm figures count exactly what a TeamGoal counts. Compute applies the period windows on top.

// IsRouted reports whether the lead was handed to sales: the denominator of the rates.
func IsRouted(l *lead.Lead) bool { return l.RoutedAt != nil }

// IsAccepted reports whether sales accepted the lead (it has an acceptance time; a won or lost
// deal that was accepted first keeps it).
func IsAccepted(l *lead.Lead) bool { return l.AcceptedAt != nil }

// IsWon reports whether the lead's deal was won.
func IsWon(l *lead.Lead) bool { return l.Stage == lead.StageWon }

// WonRevenue is the lead's won amount, 0 when it was not won.
func WonRevenue(l *lead.Lead) float64 {
	if IsWon(l) {
		return l.Amount
	}
	return 0
}

// FirstTouchSeconds is TouchedAt − RoutedAt in seconds, and whether the lead has both.
func FirstTouchSeconds(l *lead.Lead) (float64, bool) {
	if l.TouchedAt == nil || l.RoutedAt == nil {
		return 0, false
	}
	return l.TouchedAt.Sub(*l.RoutedAt).Seconds(), true
}

// Outcome is where a routed lead's handoff stands against its SLA.
type Outcome int

// Handoff outcomes: Pending is not decided yet and counts in neither side of SLACompliance.
const (
	OutcomePending Outcome = iota
	OutcomeCompliant
	OutcomeBreached
)

// HandoffOutcome classifies a routed lead's handoff as of now: Breached when BreachCount > 0 or a
// deadline is at or before now with its handoff still open; Compliant when touched, never breached
// and not overdue; Pending otherwise.
func HandoffOutcome(l *lead.Lead, now time.Time) Outcome {
	if l.BreachCount > 0 {
		return OutcomeBreached
	}
	passed := func(t *time.Time) bool { return t != nil && !t.After(now) }
	firstTouchOpen := l.Stage == lead.StageRouted
	acceptanceOpen := l.Stage == lead.StageRouted || l.Stage == lead.StageTouched
	if (firstTouchOpen && passed(l.FirstTouchDue)) || (acceptanceOpen && passed(l.AcceptanceDue)) {
		return OutcomeBreached
	}
	if l.TouchedAt != nil {
		return OutcomeCompliant
	}
	return OutcomePending
}

// SLADecided reports whether the lead counts in SLACompliance (qualified and routed, outcome decided)
// and, if so, whether it complied.
func SLADecided(l *lead.Lead, now time.Time) (decided, compliant bool) {
	if l.QualifiedAt == nil || l.RoutedAt == nil {
		return false, false
	}
	switch HandoffOutcome(l, now) {
	case OutcomeBreached:
		return true, false
	case OutcomeCompliant:
		return true, true
	}
	return false, false
}

// LowerMedian is the lower median of xs (the middle value, or the lower of the two middle ones),
// the TimeToFirstTouch statistic. It sorts xs in place; xs must not be empty.
func LowerMedian(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[(len(xs)-1)/2]
}

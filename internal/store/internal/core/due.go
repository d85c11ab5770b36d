package core

import (
	"sort"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// DueAt is the earliest deadline of l's open handoffs whose breach is not yet recorded (see
// store.SLA), or nil when it has none.
func DueAt(l *lead.Lead) *time.Time {
	var due *time.Time
	if l.Stage == lead.StageRouted && l.FirstTouchBreachedAt == nil && l.FirstTouchDue != nil {
		due = l.FirstTouchDue
	}
	if (l.Stage == lead.StageRouted || l.Stage == lead.StageTouched) && l.AcceptanceBreachedAt == nil &&
		l.AcceptanceDue != nil && (due == nil || l.AcceptanceDue.Before(*due)) {
		due = l.AcceptanceDue
	}
	return due
}

// SortDue orders the candidates of DueHandoffs (the union of the per-deadline index scans, each
// already limited) earliest deadline first, ties by id, and keeps the first limit.
func SortDue(ls []*lead.Lead, limit int) []*lead.Lead {
	sort.Slice(ls, func(i, j int) bool {
		a, b := DueAt(ls[i]), DueAt(ls[j])
		if !a.Equal(*b) {
			return a.Before(*b)
		}
		return ls[i].ID < ls[j].ID
	})
	if len(ls) > limit {
		ls = ls[:limit]
	}
	return ls
}

// MedianMicros turns a median in microseconds (possibly a half, the mean of two middle values) into
// a duration, rounding half away from zero the same way on every backend.
func MedianMicros(v float64) time.Duration {
	us := int64(v)
	if frac := v - float64(us); frac >= 0.5 {
		us++
	}
	return time.Duration(us) * time.Microsecond
}

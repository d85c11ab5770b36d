package core

import (
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/store"
)

// GoalMetric checks a GoalQuery's metric name: an unknown one is a *store.FieldError (ErrInvalid).
func GoalMetric(q store.GoalQuery) (goals.Metric, error) {
	m := goals.Metric(q.Metric)
	if !m.Valid() {
		return "", &store.FieldError{Path: "metric", Message: fmt.Sprintf("unknown goal metric %q", q.Metric)}
	}
	return m, nil
}

// Rate is num ÷ den as a percentage, with goals.Compute's arithmetic; unknown when den is 0.
func Rate(num, den int64) (float64, bool) {
	if den == 0 {
		return 0, false
	}
	return 100 * float64(num) / float64(den), true
}

// Seconds turns a duration in microseconds into the seconds goals.Compute reports for it
// (time.Duration.Seconds, so the backends agree with the reference to the last bit).
func Seconds(micros int64) float64 {
	return (time.Duration(micros) * time.Microsecond).Seconds()
}

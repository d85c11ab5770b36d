package store

import "time"

// GoalQuery selects the leads of one goal metric.
type GoalQuery struct {
	Metric     string
	Team       string
	Start, End time.Time
	Now        time.Time
}

// Package roster answers who on a team can take a lead right now: pure Go, shared by the Team
// reconciler (status) and routing (candidates).
package roster

import (
	"time"
)

// Period is a half-open interval [Start, End).
type Period struct {
	Start, End time.Time
}

// Member is the routing-relevant view of a team member.
type Member struct {
	Name     string
	Capacity int32
	Weight   int32
	// Enabled is false when the member is switched off entirely (left, on leave).
	Enabled bool
	Away    []Period
}

// AvailableAt reports whether m can receive leads at t: enabled and not inside an out-of-office period.
func (m Member) AvailableAt(t time.Time) bool {
	if !m.Enabled {
		return false
	}
	for _, p := range m.Away {
		if !t.Before(p.Start) && t.Before(p.End) {
			return false
		}
	}
	return true
}

// Summary is the availability of a whole team at one instant.
type Summary struct {
	Members   int32
	Available int32
	// Capacity is the sum of the available members' capacities.
	Capacity int32
	// NextChange is the next instant after t at which some member's availability may change; zero when
	// nothing is scheduled.
	NextChange time.Time
}

// Summarize computes the team's availability at t.
func Summarize(members []Member, t time.Time) Summary {
	s := Summary{Members: int32(len(members))}
	for _, m := range members {
		if m.AvailableAt(t) {
			s.Available++
			s.Capacity += m.Capacity
		}
		if !m.Enabled {
			continue
		}
		for _, p := range m.Away {
			for _, edge := range []time.Time{p.Start, p.End} {
				if edge.After(t) && (s.NextChange.IsZero() || edge.Before(s.NextChange)) {
					s.NextChange = edge
				}
			}
		}
	}
	return s
}

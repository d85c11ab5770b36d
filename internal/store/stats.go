package store

import "time"

// PolicyStats are the counters behind a LeadPolicy's status.
type PolicyStats struct {
	Routed         int64      // leads ever routed under the policy (by routed_at, not by stage)
	Open           int64      // routed or touched
	Queued         int64      // qualified, no owner yet
	Disqualified   int64      // failed the gate
	LastRoutedTime *time.Time // newest routed_at
}

// TeamStats are the counters behind a Team's status.
type TeamStats struct {
	Open   int64 // routed or touched, owned by a member of the team
	Queued int64 // qualified, waiting for a member of the team
}

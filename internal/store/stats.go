package store

import (
	"context"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Router is what the routing and status reconcilers need beyond Store: the pending queue, the load on
// each rep, the history that round robin and weighted shares resume from, and the counters behind
// LeadPolicy and Team status. Every method is an indexed query, never a scan of all leads.
type Router interface {
	// PendingLeads returns up to limit leads awaiting a routing decision, oldest first, strictly after
	// the cursor (the zero cursor starts at the beginning): stage new, or qualified with no owner
	// (queued because every member was full or away). Paging lets a pass reach new leads behind a
	// long queue of waiting or unmatched ones.
	PendingLeads(ctx context.Context, after PendingCursor, limit int) ([]*lead.Lead, error)
	// OpenLoad counts, per owner, the leads in stages routed or touched: what capacity limits.
	OpenLoad(ctx context.Context) (map[string]int, error)
	// RuleHistory tells who received the latest lead routed by a policy's rule, and how many leads
	// each owner received from it: round robin and weighted shares resume from this after a restart.
	RuleHistory(ctx context.Context, policy, rule string) (last string, counts map[string]int64, err error)
	// PolicyStats counts the leads a policy governs.
	PolicyStats(ctx context.Context, policy string) (PolicyStats, error)
	// TeamStats counts the leads a team holds.
	TeamStats(ctx context.Context, team string) (TeamStats, error)
	// CommitDecisions writes many routing decisions in one transaction. Each is a compare-and-swap on
	// the lead's version: a lead changed since it was read is skipped and its id returned in
	// conflicts; the others commit together with their audit events, so a decision and its audit
	// entry are never apart and no lead is decided twice.
	CommitDecisions(ctx context.Context, ds []Decision) (applied []*lead.Lead, conflicts []string, err error)
}

// Decision is one lead's new state as the router wants it.
type Decision struct {
	// Lead is the desired state; Lead.Version must be the version that was read.
	Lead *lead.Lead
	// Via lists the stages the lead passes through on the way to Lead.Stage (e.g. qualified, when a new
	// lead is qualified and routed in one decision). Every step must be a legal lifecycle edge.
	Via    []lead.Stage
	Events []AuditEvent
}

// PendingCursor is a position in the pending queue: the (CreatedAt, ID) of the last lead seen.
type PendingCursor struct {
	CreatedAt time.Time
	ID        string
}

// After returns the cursor just past l.
func After(l *lead.Lead) PendingCursor { return PendingCursor{CreatedAt: l.CreatedAt, ID: l.ID} }

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

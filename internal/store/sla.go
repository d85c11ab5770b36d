package store

import "time"

// SLAQuery says which instants a policy's SLA figures are computed for.
type SLAQuery struct {
	// Now is the instant overdue and at-risk handoffs are judged at.
	Now time.Time
	// Since starts the compliance window (Compliant, Breached, MedianTimeToFirstTouch).
	Since time.Time
	// BreachedSince starts the recent-breach window (RecentlyBreached), inclusive.
	BreachedSince time.Time
}

// SLAStats are the figures behind a LeadPolicy's SLA conditions and status.
type SLAStats struct {
	// FirstTouchOverdue and AcceptanceOverdue count open handoffs past their deadline.
	FirstTouchOverdue int64
	AcceptanceOverdue int64
	// OldestOverdueDue is the earliest deadline among overdue handoffs.
	OldestOverdueDue *time.Time
	// AtRisk counts open handoffs past their warning time but not yet overdue.
	AtRisk int64
	// NextEvent is the earliest warning time or deadline after now among open handoffs: when the
	// conditions next change by the passage of time alone.
	NextEvent *time.Time
	// Compliant and Breached count the window's handoffs that are decided: leads qualified since
	// `since` and routed, which were touched (and accepted or rejected, if they had an acceptance
	// deadline that passed) without any breach (Compliant), or that breached at least once or are
	// overdue now (Breached). Handoffs still within their SLA count in neither.
	Compliant int64
	Breached  int64
	// MedianTimeToFirstTouch is the median of touched_at - routed_at over leads touched since `since`
	// (wall-clock time); nil when none were.
	MedianTimeToFirstTouch *time.Duration
	// LastBreachTime is the newest LastBreachAt of the policy's leads: when a breach was last
	// recorded, which is at or after the deadline it missed.
	LastBreachTime *time.Time
	// RecentlyBreached counts the policy's leads whose LastBreachAt is at or after BreachedSince: the
	// leads with a breach recorded in the window, each once however often it breached.
	RecentlyBreached int64
}

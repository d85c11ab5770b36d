package store

import (
	"time"

	"github.com/leadops/leadops/internal/lead"
)

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

package store

import "github.com/leadops/leadops/internal/lead"

// Audit event types the store writes itself. Other writers (routing, the SLA clock) pass their own
// through Update, e.g. "routed", "breached", "reassigned".
const (
	EventCreated = "created"
	EventUpdated = "updated"
)

// EventType is the audit event type recorded for an activity: the past tense of its kind.
func EventType(k ActivityKind) string {
	switch k {
	case lead.ActivityQualify:
		return "qualified"
	case lead.ActivityDisqualify:
		return "disqualified"
	case lead.ActivityRoute:
		return "routed"
	case lead.ActivityTouch:
		return "touched"
	case lead.ActivityAccept:
		return "accepted"
	case lead.ActivityReject:
		return "rejected"
	case lead.ActivityWin:
		return "won"
	case lead.ActivityLose:
		return "lost"
	}
	return string(k)
}

package store

import "github.com/leadops/leadops/internal/lead"

// Audit event types the store writes itself (the names live in package lead with every other
// audit type). Other writers (routing, the SLA clock) pass their own through Update, e.g.
// lead.EventRouted, lead.EventBreached, lead.EventReassigned.
const (
	EventCreated = lead.EventCreated
	EventUpdated = lead.EventUpdated
	EventErased  = lead.EventErased
)

// EventType is the audit event type recorded for a rep activity: the past tense of its kind. A route
// is no rep activity (Apply refuses it; the controller records lead.EventRouted itself), so it has
// no case here and, like an unknown kind, comes back as the kind itself.
func EventType(k ActivityKind) string {
	switch k {
	case lead.ActivityQualify:
		return lead.EventQualified
	case lead.ActivityDisqualify:
		return lead.EventDisqualified
	case lead.ActivityTouch:
		return lead.EventTouched
	case lead.ActivityAccept:
		return lead.EventAccepted
	case lead.ActivityReject:
		return lead.EventRejected
	case lead.ActivityWin:
		return lead.EventWon
	case lead.ActivityLose:
		return lead.EventLost
	}
	return string(k)
}

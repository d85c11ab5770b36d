package lead

// Audit event types, named once. The strings are stored in every lead's audit log, read back by
// leadctl and the API, and compared by whatever consumes the log (breach webhooks, reports), so they
// never change: a renamed constant is fine, a changed string orphans the stored history.
const (
	// EventCreated and EventUpdated are written by the store itself: an upsert that creates a lead,
	// an upsert that changes marketing fields, and an Update that names no event.
	EventCreated = "created"
	EventUpdated = "updated"

	// The past tense of each activity (store.EventType maps the rep activities to them).
	EventQualified    = "qualified"
	EventDisqualified = "disqualified"
	EventRouted       = "routed"
	EventTouched      = "touched"
	EventAccepted     = "accepted"
	EventRejected     = "rejected"
	EventWon          = "won"
	EventLost         = "lost"

	// The controller's own entries: a qualified lead waiting for room (Queue), an SLA breach
	// (RecordBreach) and what was done about it (Reassign, Escalate).
	EventQueued     = "queued"
	EventBreached   = "breached"
	EventReassigned = "reassigned"
	EventEscalated  = "escalated"

	// Duplicates: the store writes EventDuplicate on a new lead whose email matches an open lead
	// (data "duplicateOf") and EventDuplicateAttached on that open lead (data "duplicate"), in the
	// insert's transaction; the router writes EventDuplicateHandled when it deals with the duplicate
	// under its policy's spec.duplicates (data "mode").
	EventDuplicate         = "duplicate"
	EventDuplicateAttached = "duplicate_attached"
	EventDuplicateHandled  = "duplicate_handled"

	// EventErased records an erasure of the lead's personal data (store.Backend.ErasePersonalData):
	// who asked and when, never what was erased (data "events" and "redacted", see
	// docs/audit-chain.md).
	EventErased = "erased"
)

// SLAKind names one of a handoff's two SLAs the way the audit log (a breach's "sla" data), the
// metrics' label and the breach webhook spell it, so the three cannot drift apart.
type SLAKind string

const (
	// SLAFirstTouch: the owner must touch a routed lead by FirstTouchDue.
	SLAFirstTouch SLAKind = "first_touch"
	// SLAAcceptance: the owner must accept or reject a routed or touched lead by AcceptanceDue.
	SLAAcceptance SLAKind = "acceptance"
)

// SLAKinds lists both SLAs in the order a handoff meets them.
var SLAKinds = []SLAKind{SLAFirstTouch, SLAAcceptance}

// Valid reports whether k is a known SLA.
func (k SLAKind) Valid() bool { return k == SLAFirstTouch || k == SLAAcceptance }

package events

import (
	"slices"
	"strings"

	"github.com/leadops/leadops/internal/lead"
)

// TypePrefix starts every CloudEvents type this package sends: "io.leadops.lead.routed".
const TypePrefix = "io.leadops.lead."

// Types are the audit event types delivered to subscriptions, in lifecycle order; erased last, so a
// receiver that kept a copy of the person's data knows to erase it too. The store's other
// audit entries (updated, queued, duplicate…) are bookkeeping and are not sent.
var Types = []string{
	lead.EventCreated, lead.EventQualified, lead.EventDisqualified, lead.EventRouted, lead.EventTouched,
	lead.EventAccepted, lead.EventRejected, lead.EventBreached, lead.EventReassigned, lead.EventEscalated,
	lead.EventWon, lead.EventLost, lead.EventErased,
}

// KnownType reports whether t (an audit event type such as "routed") is delivered.
func KnownType(t string) bool { return slices.Contains(Types, t) }

// CloudEventType is the CloudEvents type of audit event type t.
func CloudEventType(t string) string { return TypePrefix + t }

// AuditType is the audit event type of a CloudEvents type, or "" when it is none of ours. Subscription
// files may name either form.
func AuditType(ceType string) string {
	t, ok := strings.CutPrefix(ceType, TypePrefix)
	if !ok || !KnownType(t) {
		return ""
	}
	return t
}

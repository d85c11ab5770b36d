package events

import (
	"encoding/json"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/webhook"
)

// Format is the body a subscription sends.
type Format string

const (
	// FormatCloudEvents is a CloudEvents 1.0 structured JSON body (Envelope), the default.
	FormatCloudEvents Format = ""
	// FormatBreachNotice is the per-policy breach webhook's notice (internal/webhook.Breach), kept so
	// that receivers of a LeadPolicy's spec.sla.onBreach.webhookSecretRef keep working while the
	// notices come from the audit log, at least once.
	FormatBreachNotice Format = "breach-notice"
)

// BreachNotice rebuilds the breach webhook's notice of a breached audit entry ev from the lead's audit
// log: what the controller did about the breach is the reassigned or escalated entry it wrote in the
// same transaction (after ev, at the same time), and the reassignment count is the lead's count of
// reassignments up to then (lead.Reassign is the only thing that changes it).
func BreachNotice(ev store.AuditEvent, audit []store.AuditEvent) webhook.Breach {
	policy, _ := ev.Data["policy"].(string)
	sla, _ := ev.Data["sla"].(string)
	b := webhook.Breach{Policy: policy, LeadID: ev.LeadID, SLA: sla, Due: timeOf(ev.Data["due"]), DetectedAt: ev.At}
	for _, e := range audit {
		switch {
		case e.ID < ev.ID && e.Type == lead.EventReassigned:
			b.Reassignment++
		case e.ID > ev.ID && e.At.Equal(ev.At) && b.Action == "" &&
			(e.Type == lead.EventReassigned || e.Type == lead.EventEscalated):
			b.Action = e.Type
			if e.Type == lead.EventReassigned {
				b.Reassignment++
				if n, ok := intOf(e.Data["reassignment"]); ok {
					// The router records the count itself: trust it over the count of entries.
					b.Reassignment = n
				}
			}
		}
	}
	return b
}

// timeOf reads a time from audit data: a time.Time as written, an RFC 3339 string as read back.
func timeOf(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case string:
		if p, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return p
		}
	}
	return time.Time{}
}

// intOf reads an integer from audit data: an int as written, a JSON number as read back.
func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

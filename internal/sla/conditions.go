// Package sla holds the pure decisions behind a LeadPolicy's SLA conditions and figures: which
// condition to show, with which reason and message, and how to render compliance and durations.
package sla

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Condition is a computed condition: status, CamelCase reason, message for people.
type Condition struct {
	True    bool
	Reason  string
	Message string
}

// Breaches are the figures SLABreached is decided from.
type Breaches struct {
	// FirstTouchOverdue and AcceptanceOverdue count open handoffs past their deadline now;
	// OldestOverdueDue is the earliest deadline among them.
	FirstTouchOverdue, AcceptanceOverdue int64
	OldestOverdueDue                     *time.Time
	// Recent counts the leads whose newest breach was recorded at or after now - Window; Newest is
	// when the policy's newest breach was recorded.
	Recent int64
	Newest *time.Time
	// Window is how long a recorded breach holds SLABreached True (spec.sla.breachConditionWindow).
	Window time.Duration
}

// Breached decides SLABreached at now. An overdue handoff is the stronger signal, so it sets the
// reason; otherwise a breach recorded less than Window ago keeps the condition True (reason
// RecentlyBreached), because a reassignment starts a fresh SLA at once and a condition that is True
// for a second is invisible to scrapers and health checks. clears is when the recent-breach part
// stops holding the condition, newest + Window (zero when it does not hold it now): the status must
// be recomputed exactly then.
func Breached(b Breaches, now time.Time) (c Condition, clears time.Time) {
	overdue := b.FirstTouchOverdue + b.AcceptanceOverdue
	recent := b.Window > 0 && b.Newest != nil && now.Before(b.Newest.Add(b.Window))
	if recent {
		clears = b.Newest.Add(b.Window)
	}
	var msg string
	switch {
	case overdue > 0:
		c.True, c.Reason = true, "FirstTouchOverdue"
		if b.FirstTouchOverdue == 0 {
			c.Reason = "AcceptanceOverdue"
		}
		msg = fmt.Sprintf("%s overdue (%d awaiting first touch, %d awaiting accept or reject)",
			Plural(overdue, "handoff"), b.FirstTouchOverdue, b.AcceptanceOverdue)
		if b.OldestOverdueDue != nil {
			msg += fmt.Sprintf("; the oldest is %s past its deadline", FormatDuration(now.Sub(*b.OldestOverdueDue)))
		}
	case recent:
		c.True, c.Reason = true, "RecentlyBreached"
		msg = "0 handoffs overdue"
	default:
		c.Reason, msg = "WithinSLA", "every open handoff is within its SLA"
	}
	if b.Window > 0 {
		msg += "; " + recentPart(b, recent, now)
	}
	c.Message = msg
	return c, clears
}

// recentPart renders the recent breaches. The count comes from the store's closed interval
// [now-Window, now]; recent (decided on Newest) is authoritative at the boundary instant, where a
// breach exactly Window old no longer holds the condition.
func recentPart(b Breaches, recent bool, now time.Time) string {
	window := formatWindow(b.Window)
	if !recent {
		return "no SLA breach in the last " + window
	}
	n := max(b.Recent, 1)
	verb := "leads breached their SLA"
	if n == 1 {
		verb = "lead breached its SLA"
	}
	return fmt.Sprintf("%d %s in the last %s, the newest %s ago", n, verb, window, FormatDuration(now.Sub(*b.Newest)))
}

// formatWindow renders a configured window as written ("15m", "1h30m", "90s"), not rounded the way
// FormatDuration rounds elapsed times.
func formatWindow(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// AtRisk decides SLAAtRisk from the number of handoffs past their warning time.
func AtRisk(atRisk int64) Condition {
	if atRisk == 0 {
		return Condition{Reason: "NoneAtRisk", Message: "no open handoff is past its warning time"}
	}
	return Condition{True: true, Reason: "WarningTimePassed",
		Message: fmt.Sprintf("%s past the warning time and approaching the deadline", Plural(atRisk, "handoff"))}
}

// Ratio is a share that may be unknown (no decided handoffs).
type Ratio struct {
	Known bool
	Ratio float64
}

// Compliance is compliant / (compliant + breached).
func Compliance(compliant, breached int64) Ratio {
	if compliant+breached <= 0 {
		return Ratio{}
	}
	return Ratio{Known: true, Ratio: float64(compliant) / float64(compliant+breached)}
}

// String renders the ratio as a percentage with one decimal, never rounding a miss up to 100%.
func (r Ratio) String() string {
	if !r.Known {
		return ""
	}
	pct := math.Floor(r.Ratio*1000) / 10
	if pct == math.Trunc(pct) {
		return fmt.Sprintf("%.0f%%", pct)
	}
	return fmt.Sprintf("%.1f%%", pct)
}

// FormatDuration renders a duration the way people read SLAs: "45s", "23m", "1h5m", "2d3h".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// Plural counts a noun in the messages people read: "1 handoff", "3 handoffs".
func Plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

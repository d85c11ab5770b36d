// Package sla holds the pure decisions behind a LeadPolicy's SLA conditions and figures: which
// condition to show, with which reason and message, and how to render compliance and durations.
package sla

import (
	"fmt"
	"math"
	"time"
)

// Condition is a computed condition: status, CamelCase reason, message for people.
type Condition struct {
	True    bool
	Reason  string
	Message string
}

// Breached decides SLABreached. firstTouch and acceptance count overdue handoffs; oldestDue is the
// earliest deadline among them.
func Breached(firstTouch, acceptance int64, oldestDue *time.Time, now time.Time) Condition {
	total := firstTouch + acceptance
	if total == 0 {
		return Condition{Reason: "WithinSLA", Message: "every open handoff is within its SLA"}
	}
	reason := "FirstTouchOverdue"
	if firstTouch == 0 {
		reason = "AcceptanceOverdue"
	}
	msg := fmt.Sprintf("%s overdue (%d awaiting first touch, %d awaiting accept or reject)", plural(total, "handoff"), firstTouch, acceptance)
	if oldestDue != nil {
		msg += fmt.Sprintf("; the oldest is %s past its deadline", FormatDuration(now.Sub(*oldestDue)))
	}
	return Condition{True: true, Reason: reason, Message: msg}
}

// AtRisk decides SLAAtRisk from the number of handoffs past their warning time.
func AtRisk(atRisk int64) Condition {
	if atRisk == 0 {
		return Condition{Reason: "NoneAtRisk", Message: "no open handoff is past its warning time"}
	}
	return Condition{True: true, Reason: "WarningTimePassed",
		Message: fmt.Sprintf("%s past the warning time and approaching the deadline", plural(atRisk, "handoff"))}
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

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

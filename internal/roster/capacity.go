package roster

import (
	"fmt"
	"time"
)

// Flow is a team's load and what moved through it over a trailing window.
type Flow struct {
	Open, Capacity, Queued int64
	// In counts leads routed or reassigned to the team in the window; Out the leads it first
	// touched (every accept or reject follows a touch).
	In, Out int64
	Window  time.Duration
}

// Verdict is the OverCapacity condition: the signal that marketing sends more than sales can handle.
type Verdict struct {
	Over    bool
	Reason  string
	Message string
}

// OverCapacity decides the condition: over when leads are queued for want of room, or when open load
// exceeds capacity. The message says by how much per day inflow outruns what the team closes out.
func OverCapacity(f Flow) Verdict {
	days := f.Window.Hours() / 24
	if days <= 0 {
		days = 1
	}
	perDay := float64(f.In-f.Out) / days
	flow := fmt.Sprintf("over the last %s the team received %d leads and closed out %d", windowWords(f.Window), f.In, f.Out)
	switch {
	case f.Queued > 0:
		return Verdict{Over: true, Reason: "LeadsQueued",
			Message: fmt.Sprintf("%d leads wait for a member with room; %s (%s per day)", f.Queued, flow, signed(perDay))}
	case f.Open > f.Capacity:
		return Verdict{Over: true, Reason: "LoadAboveCapacity",
			Message: fmt.Sprintf("%d open leads against a capacity of %d; %s (%s per day)", f.Open, f.Capacity, flow, signed(perDay))}
	case f.In > f.Out:
		return Verdict{Reason: "WithinCapacity",
			Message: fmt.Sprintf("within capacity, but inflow outruns close-outs: %s (%s per day)", flow, signed(perDay))}
	}
	return Verdict{Reason: "WithinCapacity", Message: fmt.Sprintf("within capacity; %s", flow)}
}

func signed(v float64) string {
	if v > 0 {
		return fmt.Sprintf("+%.1f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func windowWords(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

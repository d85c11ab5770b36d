package sla

import (
	"errors"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/slaclock"
)

// Spec is a policy's handoff SLA in plain Go: the deadlines a routed or reassigned lead gets.
type Spec struct {
	FirstTouch *Target
	Acceptance *Target
}

// Target is one deadline: Within counted on the team's business hours, or on the wall clock.
type Target struct {
	Within     time.Duration
	WarnBefore time.Duration
	WallClock  bool
}

// ParseTarget reads a target from the API's duration strings; the field names in errors are the
// CRD's.
func ParseTarget(within, warnBefore string, wallClock bool) (*Target, error) {
	t := &Target{WallClock: wallClock}
	var err error
	if t.Within, err = time.ParseDuration(within); err != nil {
		return nil, fmt.Errorf("within: %w", err)
	}
	if warnBefore != "" {
		if t.WarnBefore, err = time.ParseDuration(warnBefore); err != nil {
			return nil, fmt.Errorf("warnBefore: %w", err)
		}
	}
	return t, nil
}

// errNoCalendar: a business-hours target needs the team's calendar.
var errNoCalendar = errors.New("business-hours SLA without a team calendar")

// Schedule computes the deadlines of a handoff that starts at start, on the target team's calendar
// (cal may be nil when every target runs on the wall clock). A nil spec has no deadlines.
func Schedule(spec *Spec, cal *slaclock.Calendar, start time.Time) (lead.Deadlines, error) {
	var d lead.Deadlines
	if spec == nil {
		return d, nil
	}
	var err error
	if d.FirstTouchDue, d.FirstTouchWarn, err = spec.FirstTouch.schedule(cal, start); err != nil {
		return lead.Deadlines{}, fmt.Errorf("first-touch SLA: %w", err)
	}
	if d.AcceptanceDue, d.AcceptanceWarn, err = spec.Acceptance.schedule(cal, start); err != nil {
		return lead.Deadlines{}, fmt.Errorf("acceptance SLA: %w", err)
	}
	return d, nil
}

func (t *Target) schedule(cal *slaclock.Calendar, start time.Time) (due, warn *time.Time, err error) {
	if t == nil {
		return nil, nil, nil
	}
	clk := slaclock.Wall
	if !t.WallClock {
		if cal == nil {
			return nil, nil, errNoCalendar
		}
		clk = cal
	}
	times, err := slaclock.Schedule(clk, start, t.Within, t.WarnBefore)
	if err != nil {
		return nil, nil, err
	}
	d := times.Deadline.UTC()
	due = &d
	if !times.Warn.IsZero() {
		w := times.Warn.UTC()
		warn = &w
	}
	return due, warn, nil
}

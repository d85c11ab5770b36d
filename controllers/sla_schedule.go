package controllers

import (
	"fmt"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/slaclock"
)

// teamCalendar builds the business-hours calendar a Team's SLA clocks follow.
func teamCalendar(spec *leadopsv1.TeamSpec) (*slaclock.Calendar, *specError) {
	hours := make([]slaclock.Hours, 0, len(spec.WorkingHours))
	for _, wh := range spec.WorkingHours {
		days := make([]string, len(wh.Days))
		for i, d := range wh.Days {
			days[i] = string(d)
		}
		hours = append(hours, slaclock.Hours{Days: days, Start: string(wh.Start), End: string(wh.End)})
	}
	holidays := make([]string, len(spec.Holidays))
	for i, h := range spec.Holidays {
		holidays[i] = string(h.Date)
	}
	cal, err := slaclock.ParseCalendar(spec.Timezone, hours, holidays)
	if err != nil {
		return nil, invalidSpec(leadopsv1.ReasonInvalidSpec, "spec: %v", err)
	}
	if cal.WeeklyWorkingTime() == 0 {
		return nil, invalidSpec(leadopsv1.ReasonInvalidSpec, "spec.workingHours: the team has no working time, so a business-hours SLA could never be met")
	}
	return cal, nil
}

// handoff is the SLA schedule of one handoff.
type handoff struct {
	FirstTouchDue, FirstTouchWarn, AcceptanceDue, AcceptanceWarn *time.Time
}

// scheduleHandoff computes the deadlines of a handoff that starts at start, on the target team's
// calendar. A nil sla (or calendar, for wall-clock targets only) yields no deadlines.
func scheduleHandoff(sla *leadopsv1.HandoffSLA, cal *slaclock.Calendar, start time.Time) (handoff, error) {
	var h handoff
	if sla == nil {
		return h, nil
	}
	var err error
	if h.FirstTouchDue, h.FirstTouchWarn, err = scheduleTarget(sla.FirstTouch, cal, start); err != nil {
		return h, fmt.Errorf("first-touch SLA: %w", err)
	}
	if h.AcceptanceDue, h.AcceptanceWarn, err = scheduleTarget(sla.Acceptance, cal, start); err != nil {
		return h, fmt.Errorf("acceptance SLA: %w", err)
	}
	return h, nil
}

func scheduleTarget(t *leadopsv1.SLATarget, cal *slaclock.Calendar, start time.Time) (due, warn *time.Time, err error) {
	if t == nil {
		return nil, nil, nil
	}
	within, err := time.ParseDuration(string(t.Within))
	if err != nil {
		return nil, nil, fmt.Errorf("within: %w", err)
	}
	var warnBefore time.Duration
	if t.WarnBefore != "" {
		if warnBefore, err = time.ParseDuration(string(t.WarnBefore)); err != nil {
			return nil, nil, fmt.Errorf("warnBefore: %w", err)
		}
	}
	clk := slaclock.Wall
	if t.Clock != leadopsv1.ClockWallClock {
		if cal == nil {
			return nil, nil, fmt.Errorf("business-hours SLA without a team calendar")
		}
		clk = cal
	}
	times, err := slaclock.Schedule(clk, start, within, warnBefore)
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

// apply writes the schedule onto a lead starting a fresh handoff, clearing the previous one's marks.
func (h handoff) apply(l *lead.Lead) {
	l.FirstTouchDue, l.FirstTouchWarn = h.FirstTouchDue, h.FirstTouchWarn
	l.AcceptanceDue, l.AcceptanceWarn = h.AcceptanceDue, h.AcceptanceWarn
	l.FirstTouchBreachedAt, l.AcceptanceBreachedAt = nil, nil
}

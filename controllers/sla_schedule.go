package controllers

import (
	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
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

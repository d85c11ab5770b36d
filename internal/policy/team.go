package policy

import (
	"fmt"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/roster"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/slaclock"
)

// Team is a Team spec parsed for use: its members as routing sees them and the calendar its
// SLA clocks follow.
type Team struct {
	Location *time.Location
	Members  []roster.Member
	Calendar *slaclock.Calendar
	Manager  string
}

// ParseTeam reports what the API server cannot check: an unknown timezone, unparsable dates, a
// calendar without working time. Errors carry the field path.
func ParseTeam(spec *leadopsv1.TeamSpec) (*Team, *SpecError) {
	loc, err := time.LoadLocation(spec.Timezone)
	if err != nil {
		return nil, FieldSpecError(leadopsv1.ReasonInvalidTimezone, "spec.timezone", "unknown timezone %q: use an IANA name such as Europe/Berlin", spec.Timezone)
	}
	for i, h := range spec.Holidays {
		if _, err := time.ParseInLocation(time.DateOnly, string(h.Date), loc); err != nil {
			return nil, FieldSpecError(leadopsv1.ReasonInvalidSpec, fmt.Sprintf("spec.holidays[%d].date", i), "%q is not a YYYY-MM-DD date", h.Date)
		}
	}
	members := make([]roster.Member, 0, len(spec.Members))
	for i, m := range spec.Members {
		rm := roster.Member{
			Name:     m.Name,
			Capacity: m.Capacity,
			Weight:   m.Weight,
			Enabled:  m.Available == nil || *m.Available,
		}
		for j, o := range m.OutOfOffice {
			start, err1 := time.Parse(time.RFC3339, o.Start)
			end, err2 := time.Parse(time.RFC3339, o.End)
			if err1 != nil || err2 != nil {
				return nil, FieldSpecError(leadopsv1.ReasonInvalidSpec, fmt.Sprintf("spec.members[%d].outOfOffice[%d]", i, j),
					"start and end must be RFC 3339 times such as 2027-01-04T09:00:00Z")
			}
			rm.Away = append(rm.Away, roster.Period{Start: start, End: end})
		}
		members = append(members, rm)
	}
	cal, specErr := teamCalendar(spec)
	if specErr != nil {
		return nil, specErr
	}
	return &Team{Location: loc, Members: members, Calendar: cal, Manager: spec.Manager}, nil
}

// teamCalendar builds the business-hours calendar a Team's SLA clocks follow.
func teamCalendar(spec *leadopsv1.TeamSpec) (*slaclock.Calendar, *SpecError) {
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
		return nil, InvalidSpec(leadopsv1.ReasonInvalidSpec, "spec: %v", err)
	}
	if cal.WeeklyWorkingTime() == 0 {
		return nil, InvalidSpec(leadopsv1.ReasonInvalidSpec, "spec.workingHours: the team has no working time, so a business-hours SLA could never be met")
	}
	return cal, nil
}

// Snapshot is the router's view of the team at now: who is available, the calendar, the manager.
func (t *Team) Snapshot(now time.Time) *router.Team {
	cands := make([]routing.Candidate, 0, len(t.Members))
	for _, m := range t.Members {
		cands = append(cands, routing.Candidate{
			Name: m.Name, Capacity: int(m.Capacity), Weight: int(m.Weight), Available: m.AvailableAt(now),
		})
	}
	return &router.Team{Members: cands, Calendar: t.Calendar, Manager: t.Manager}
}

package controllers

import (
	"fmt"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/roster"
	"github.com/leadops/leadops/internal/slaclock"
)

// teamView is a Team spec parsed for use: its members as routing sees them and the calendar its
// SLA clocks follow.
type teamView struct {
	Location *time.Location
	Members  []roster.Member
	Calendar *slaclock.Calendar
	Manager  string
}

// parseTeam reports what the API server cannot check: an unknown timezone, unparsable dates, a
// calendar without working time. Errors carry the field path.
func parseTeam(spec *leadopsv1.TeamSpec) (*teamView, *specError) {
	loc, err := time.LoadLocation(spec.Timezone)
	if err != nil {
		return nil, fieldSpecError(leadopsv1.ReasonInvalidTimezone, "spec.timezone", "unknown timezone %q: use an IANA name such as Europe/Berlin", spec.Timezone)
	}
	for i, h := range spec.Holidays {
		if _, err := time.ParseInLocation(time.DateOnly, string(h.Date), loc); err != nil {
			return nil, fieldSpecError(leadopsv1.ReasonInvalidSpec, fmt.Sprintf("spec.holidays[%d].date", i), "%q is not a YYYY-MM-DD date", h.Date)
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
				return nil, fieldSpecError(leadopsv1.ReasonInvalidSpec, fmt.Sprintf("spec.members[%d].outOfOffice[%d]", i, j),
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
	return &teamView{Location: loc, Members: members, Calendar: cal, Manager: spec.Manager}, nil
}

// Package slaclock is the SLA clock: it turns "within 4 business hours of the handoff" into an instant,
// and measures how much business time lies between two instants.
//
// It is pure computation. It never reads the current time: every instant is passed in, so the
// controller decides what "now" is (and tests move it at will). It knows nothing of Kubernetes or of the
// lead store; the controller builds a Calendar from a Team's spec with ParseCalendar and picks a Clock
// with NewClock from the SLA's clock mode.
//
// # Business time
//
// A Calendar is a timezone, a weekly schedule of working blocks ("Monday–Friday 09:00–17:00", possibly
// several blocks a day, which are merged where they overlap or touch) and a set of holidays (civil dates
// in that timezone on which no block applies). Business time is the real elapsed time that falls inside
// working blocks.
//
// # Daylight-saving rule
//
// Working hours are wall-clock times in the team's timezone. A block from S to E on date D covers the real
// instants from R(D S) up to, but not including, R(D E), where R(w) is the first instant at which the
// team's wall clock shows w or later. Real elapsed time is counted, never wall-clock differences. So:
//
//   - On a normal day a block is exactly as long as its wall-clock span.
//   - On the spring-forward day 09:00–17:00 is still 8 hours; a block that spans the missing hour
//     (01:00–04:00 on the night the clocks jump from 02:00 to 03:00) is 2 hours; a wall time inside the
//     gap (02:30) stands for the moment of the jump, so a block lying wholly inside the gap is empty.
//   - On the fall-back night the repeated hour is counted once per real elapsed time: 01:00–04:00 on
//     the night the clocks go back from 03:00 to 02:00 is 4 real hours, and a wall time that occurs
//     twice stands for its first occurrence.
//
// The rule is a single monotonic mapping from wall time to real time, so consecutive blocks and days
// never overlap, and Deadline and Elapsed agree exactly: Elapsed(start, Deadline(start, d)) == d.
package slaclock

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MinutesPerDay is the end of a day as a minute of the day: the value of "24:00".
const MinutesPerDay = 24 * 60

// ErrNoWorkingTime is returned when a business-hours deadline can never be reached because the calendar
// has no working time at all.
var ErrNoWorkingTime = errors.New("slaclock: the calendar has no working time, so a business-hours deadline is never reached")

// Date is a civil date (no time, no zone): a holiday is a Date read in the team's timezone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String formats the date as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// dayNumber is the number of days from 1970-01-01 to d.
func (d Date) dayNumber() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
}

// Block is a span of working time on some days of the week. Start and End are minutes after midnight
// in the calendar's timezone; End may be MinutesPerDay ("24:00"). Start must be before End: a block
// never crosses midnight (use two blocks for a night shift).
type Block struct {
	Days       []time.Weekday
	Start, End int
}

// DefaultBlocks is the working week a team has when it declares no working hours: Monday to Friday,
// 09:00 to 17:00.
func DefaultBlocks() []Block {
	return []Block{{
		Days:  []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Start: 9 * 60,
		End:   17 * 60,
	}}
}

// span is a merged working interval of one weekday, in minutes after midnight.
type span struct{ start, end int }

// Calendar is a team's working calendar. It is immutable once built and safe for concurrent use.
type Calendar struct {
	loc      *time.Location
	week     [7][]span // merged, sorted, by time.Weekday
	weekly   time.Duration
	holidays []int64 // sorted, unique day numbers
}

// NewCalendar builds a calendar from a location, working blocks and holidays. The blocks are taken
// literally: with none, the calendar has no working time (ParseCalendar is the one that applies the
// Monday–Friday 09:00–17:00 default).
func NewCalendar(loc *time.Location, blocks []Block, holidays []Date) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("slaclock: calendar needs a location (timezone)")
	}
	c := &Calendar{loc: loc}
	for i, b := range blocks {
		if len(b.Days) == 0 {
			return nil, fmt.Errorf("workingHours[%d]: a block needs at least one day", i)
		}
		if b.Start < 0 || b.Start >= MinutesPerDay {
			return nil, fmt.Errorf("workingHours[%d].start: %d minutes is not a time of day (00:00 to 23:59)", i, b.Start)
		}
		if b.End <= 0 || b.End > MinutesPerDay {
			return nil, fmt.Errorf("workingHours[%d].end: %d minutes is not a time of day (00:01 to 24:00)", i, b.End)
		}
		if b.Start >= b.End {
			return nil, fmt.Errorf("workingHours[%d]: start %s must be before end %s", i, formatMinutes(b.Start), formatMinutes(b.End))
		}
		for j, d := range b.Days {
			if d < time.Sunday || d > time.Saturday {
				return nil, fmt.Errorf("workingHours[%d].days[%d]: %d is not a weekday", i, j, int(d))
			}
			c.week[d] = append(c.week[d], span{b.Start, b.End})
		}
	}
	for d := range c.week {
		c.week[d] = mergeSpans(c.week[d])
		for _, s := range c.week[d] {
			c.weekly += time.Duration(s.end-s.start) * time.Minute
		}
	}
	for i, h := range holidays {
		if !validDate(h) {
			return nil, fmt.Errorf("holidays[%d]: %04d-%02d-%02d is not a calendar date", i, h.Year, int(h.Month), h.Day)
		}
		c.holidays = append(c.holidays, h.dayNumber())
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)
	return c, nil
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(in []span) []span {
	if len(in) == 0 {
		return nil
	}
	slices.SortFunc(in, func(a, b span) int { return a.start - b.start })
	out := []span{in[0]}
	for _, s := range in[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// Location is the calendar's timezone.
func (c *Calendar) Location() *time.Location { return c.loc }

// WeeklyWorkingTime is the working time of a week without holidays or clock changes.
func (c *Calendar) WeeklyWorkingTime() time.Duration { return c.weekly }

// Hours is one block of working hours as users write it: English weekday names ("Monday") and
// "HH:MM" times on a 24-hour clock, where "24:00" ends the day.
type Hours struct {
	Days       []string
	Start, End string
}

// ParseCalendar builds a calendar from the strings of a Team spec: an IANA timezone name (empty means
// UTC), working hours (none means Monday to Friday, 09:00 to 17:00) and holidays as "YYYY-MM-DD". Errors
// name the offending field, for example `workingHours[1].end: "25:00" is not a time "HH:MM" ...`.
func ParseCalendar(timezone string, hours []Hours, holidays []string) (*Calendar, error) {
	loc := time.UTC
	if timezone != "" {
		l, err := time.LoadLocation(timezone)
		if err != nil || strings.EqualFold(timezone, "Local") {
			return nil, fmt.Errorf("timezone: %q is not an IANA timezone name such as \"Europe/Berlin\"", timezone)
		}
		loc = l
	}
	blocks := DefaultBlocks()
	if len(hours) > 0 {
		blocks = make([]Block, 0, len(hours))
		for i, h := range hours {
			if len(h.Days) == 0 {
				return nil, fmt.Errorf("workingHours[%d].days: a block needs at least one day", i)
			}
			b := Block{Days: make([]time.Weekday, 0, len(h.Days))}
			for j, s := range h.Days {
				d, err := ParseWeekday(s)
				if err != nil {
					return nil, fmt.Errorf("workingHours[%d].days[%d]: %w", i, j, err)
				}
				b.Days = append(b.Days, d)
			}
			var err error
			if b.Start, err = ParseTimeOfDay(h.Start); err != nil {
				return nil, fmt.Errorf("workingHours[%d].start: %w", i, err)
			}
			if b.Start == MinutesPerDay {
				return nil, fmt.Errorf("workingHours[%d].start: \"24:00\" can only end a block", i)
			}
			if b.End, err = ParseTimeOfDay(h.End); err != nil {
				return nil, fmt.Errorf("workingHours[%d].end: %w", i, err)
			}
			if b.End == 0 {
				return nil, fmt.Errorf("workingHours[%d].end: a block cannot end at \"00:00\"; write \"24:00\" for the end of the day", i)
			}
			blocks = append(blocks, b)
		}
	}
	dates := make([]Date, 0, len(holidays))
	for i, s := range holidays {
		d, err := ParseDate(s)
		if err != nil {
			return nil, fmt.Errorf("holidays[%d]: %w", i, err)
		}
		dates = append(dates, d)
	}
	return NewCalendar(loc, blocks, dates)
}

// ParseTimeOfDay parses "HH:MM" on a 24-hour clock ("00:00" to "23:59", or "24:00" for the end of the
// day) into minutes after midnight.
func ParseTimeOfDay(s string) (int, error) {
	bad := fmt.Errorf("%q is not a time \"HH:MM\" between \"00:00\" and \"24:00\"", s)
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, bad
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, bad
	}
	return h*60 + m, nil
}

// ParseWeekday parses an English weekday name as Go's time package spells it ("Monday"), ignoring case.
func ParseWeekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%q is not a weekday (Monday, Tuesday, Wednesday, Thursday, Friday, Saturday or Sunday)", s)
}

// ParseDate parses a civil date "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	bad := fmt.Errorf("%q is not a date \"YYYY-MM-DD\"", s)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !isDigits(s[:4]) || !isDigits(s[5:7]) || !isDigits(s[8:]) {
		return Date{}, bad
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	d := Date{Year: y, Month: time.Month(int(s[5]-'0')*10 + int(s[6]-'0')), Day: int(s[8]-'0')*10 + int(s[9]-'0')}
	if !validDate(d) {
		return Date{}, fmt.Errorf("%q is not a calendar date", s)
	}
	return d, nil
}

func validDate(d Date) bool {
	if d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatMinutes(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

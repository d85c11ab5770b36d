package goals

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/leadops/leadops/internal/fielderr"
)

// SpecError is a goal spec the maths cannot use (package fielderr's one field error). Path is the
// offending field as the TeamGoal API spells it under spec (for example "period.quarter"), so the
// reconciler reports it under "spec".
type SpecError = fielderr.Error

func specErr(field, format string, args ...any) error {
	return fielderr.New(field, format, args...)
}

// ErrNoLocation is returned when no timezone is given; time.UTC is a valid choice, nil is not.
var ErrNoLocation = errors.New("goals: no timezone location given")

// Date is a calendar day, without a timezone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "YYYY-MM-DD" strictly: four-digit year 0001-9999, two-digit month and day, and a
// day that exists in that month.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%q is not a date like \"2027-01-31\"", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("%q is not a date like \"2027-01-31\"", s)
	}
	if y < 1 {
		return Date{}, fmt.Errorf("%q: year must be 0001 to 9999", s)
	}
	if m < 1 || m > 12 {
		return Date{}, fmt.Errorf("%q: month must be 01 to 12", s)
	}
	if n := daysIn(y, time.Month(m)); d < 1 || d > n {
		return Date{}, fmt.Errorf("%q: %s %04d has %d days", s, time.Month(m), y, n)
	}
	return Date{y, time.Month(m), d}, nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// AddDays returns the day n days after d (before, if n is negative).
func (d Date) AddDays(n int) Date {
	return dateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// DaysUntil is the number of days from d to o (negative if o is earlier).
func (d Date) DaysUntil(o Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()
	b := time.Date(o.Year, o.Month, o.Day, 0, 0, 0, 0, time.UTC).Unix()
	return int((b - a) / 86400)
}

func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// StartOfDay is the first instant of day d in loc: local midnight, or the DST transition where midnight
// is skipped, or the first of two midnights where clocks fall back across it.
func StartOfDay(d Date, loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	if dateOf(t).Before(d) {
		// Midnight does not exist (clocks jumped from 24:00 to 01:00) and time.Date answered with
		// the previous evening: the day begins where that evening's zone ends.
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	}
	// Midnight happens twice (clocks fell back from 01:00 to 00:00): prefer the first one, which
	// lies in the zone before the one time.Date may have picked.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, prevOff := start.Add(-time.Nanosecond).Zone()
		wall := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		earlier := wall.Add(-time.Duration(prevOff) * time.Second).In(loc)
		if earlier.Before(start) && earlier.Before(t) && dateOf(earlier) == d &&
			earlier.Hour() == 0 && earlier.Minute() == 0 && earlier.Second() == 0 {
			t = earlier
		}
	}
	return t
}

// PeriodKind is the form a period was declared in.
type PeriodKind string

// The forms of a period.
const (
	PeriodQuarter PeriodKind = "Quarter"
	PeriodMonth   PeriodKind = "Month"
	PeriodRange   PeriodKind = "Range"
)

// RangeSpec is an inclusive range of days, "YYYY-MM-DD" each.
type RangeSpec struct {
	Start string
	End   string
}

// PeriodSpec mirrors the TeamGoal period: exactly one of Quarter ("2027-Q1"), Month ("2027-01") or
// Range must be set.
type PeriodSpec struct {
	Quarter string
	Month   string
	Range   *RangeSpec
}

// Period is a resolved period: the days First..Last (inclusive) and the instants [Start, End) they
// cover in the team's timezone.
type Period struct {
	Kind  PeriodKind
	First Date
	Last  Date
	Start time.Time
	End   time.Time
}

// ResolvePeriod resolves spec in loc. Errors are *SpecError naming the field, or ErrNoLocation.
func ResolvePeriod(spec PeriodSpec, loc *time.Location) (Period, error) {
	if loc == nil {
		return Period{}, ErrNoLocation
	}
	set := 0
	for _, b := range []bool{spec.Quarter != "", spec.Month != "", spec.Range != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return Period{}, specErr("period", "set exactly one of quarter, month or range (%d set)", set)
	}
	switch {
	case spec.Quarter != "":
		s := spec.Quarter
		y, okY := digits(safeSlice(s, 0, 4))
		q, okQ := digits(safeSlice(s, 6, 7))
		if len(s) != 7 || s[4] != '-' || s[5] != 'Q' || !okY || !okQ {
			return Period{}, specErr("period.quarter", "%q is not a quarter like \"2027-Q1\"", s)
		}
		if y < 1 {
			return Period{}, specErr("period.quarter", "%q: year must be 0001 to 9999", s)
		}
		if q < 1 || q > 4 {
			return Period{}, specErr("period.quarter", "%q: quarter must be Q1 to Q4", s)
		}
		return quarter(y, q, loc), nil
	case spec.Month != "":
		s := spec.Month
		y, okY := digits(safeSlice(s, 0, 4))
		m, okM := digits(safeSlice(s, 5, 7))
		if len(s) != 7 || s[4] != '-' || !okY || !okM {
			return Period{}, specErr("period.month", "%q is not a month like \"2027-01\"", s)
		}
		if y < 1 {
			return Period{}, specErr("period.month", "%q: year must be 0001 to 9999", s)
		}
		if m < 1 || m > 12 {
			return Period{}, specErr("period.month", "%q: month must be 01 to 12", s)
		}
		return month(y, time.Month(m), loc), nil
	default:
		first, err := ParseDate(spec.Range.Start)
		if err != nil {
			return Period{}, specErr("period.range.start", "%s", err.Error())
		}
		last, err := ParseDate(spec.Range.End)
		if err != nil {
			return Period{}, specErr("period.range.end", "%s", err.Error())
		}
		if last.Before(first) {
			return Period{}, specErr("period.range", "start %s is after end %s", first, last)
		}
		return days(PeriodRange, first, last, loc), nil
	}
}

func safeSlice(s string, i, j int) string {
	if j > len(s) {
		return ""
	}
	return s[i:j]
}

func days(k PeriodKind, first, last Date, loc *time.Location) Period {
	return Period{Kind: k, First: first, Last: last,
		Start: StartOfDay(first, loc), End: StartOfDay(last.AddDays(1), loc)}
}

func quarter(y, q int, loc *time.Location) Period {
	first := Date{y, time.Month(3*(q-1) + 1), 1}
	last := Date{y, first.Month + 2, daysIn(y, first.Month+2)}
	return days(PeriodQuarter, first, last, loc)
}

func month(y int, m time.Month, loc *time.Location) Period {
	return days(PeriodMonth, Date{y, m, 1}, Date{y, m, daysIn(y, m)}, loc)
}

// Location is the timezone the period was resolved in.
func (p Period) Location() *time.Location { return p.Start.Location() }

// Days is the number of calendar days the period covers.
func (p Period) Days() int { return p.First.DaysUntil(p.Last) + 1 }

// Label names the period as a user wrote it: "2027-Q1", "2027-01" or "2027-01-05..2027-02-10".
func (p Period) Label() string {
	switch p.Kind {
	case PeriodQuarter:
		return fmt.Sprintf("%04d-Q%d", p.First.Year, (int(p.First.Month)-1)/3+1)
	case PeriodMonth:
		return fmt.Sprintf("%04d-%02d", p.First.Year, int(p.First.Month))
	}
	return p.First.String() + ".." + p.Last.String()
}

func (p Period) String() string { return p.Label() }

// Previous is the period of the same kind just before p: the previous calendar quarter or month, or
// the range of as many days ending the day before p's first day.
func (p Period) Previous() Period {
	loc := p.Location()
	switch p.Kind {
	case PeriodQuarter:
		y, q := p.First.Year, (int(p.First.Month)-1)/3+1
		if q == 1 {
			return quarter(y-1, 4, loc)
		}
		return quarter(y, q-1, loc)
	case PeriodMonth:
		if p.First.Month == time.January {
			return month(p.First.Year-1, time.December, loc)
		}
		return month(p.First.Year, p.First.Month-1, loc)
	}
	n := p.Days()
	return days(PeriodRange, p.First.AddDays(-n), p.First.AddDays(-1), loc)
}

// Contains reports whether t lies in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// Seconds is the period's length in real seconds (DST days are 23 or 25 hours long).
func (p Period) Seconds() float64 { return secondsBetween(p.Start, p.End) }

// ElapsedShare is how much of the period has passed at now, in [0, 1]: 0 up to Start, 1 from End on.
func (p Period) ElapsedShare(now time.Time) float64 {
	if !now.After(p.Start) {
		return 0
	}
	if !now.Before(p.End) {
		return 1
	}
	share := secondsBetween(p.Start, now) / p.Seconds()
	return math.Min(1, math.Max(0, share))
}

// PaceFrom is the first instant at which the pace of a running goal is judged: 24 hours after the
// start, or a tenth of the period after it if that is sooner.
func (p Period) PaceFrom() time.Time {
	warm := 24 * time.Hour
	if tenth := p.Seconds() / 10; tenth < warm.Seconds() {
		warm = ToDuration(tenth)
	}
	return p.Start.Add(warm)
}

// secondsBetween is b-a in seconds without time.Duration's 292-year saturation.
func secondsBetween(a, b time.Time) float64 {
	return float64(b.Unix()-a.Unix()) + float64(b.Nanosecond()-a.Nanosecond())/1e9
}

// RunningInterval is how often a running goal is re-evaluated for time reasons alone.
const RunningInterval = time.Hour

// NextEvaluation is the next instant at which the passing of time alone can change the goal's state:
// the period's start before it starts; while it runs, RunningInterval from now, or PaceFrom or End
// if sooner; once it is over, the zero time (only new data can change it then).
func NextEvaluation(p Period, now time.Time) time.Time {
	if now.Before(p.Start) {
		return p.Start
	}
	if !now.Before(p.End) {
		return time.Time{}
	}
	next := now.Add(RunningInterval)
	if pf := p.PaceFrom(); now.Before(pf) && pf.Before(next) {
		next = pf
	}
	if p.End.Before(next) {
		next = p.End
	}
	return next
}

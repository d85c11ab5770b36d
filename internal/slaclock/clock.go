package slaclock

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

const secondsPerDay = 24 * 60 * 60

// zoneMargin keeps the fast path (one fixed UTC offset for a whole day or week) this far from any
// change of offset, so that repeated or skipped wall times near midnight always take the exact path.
const zoneMargin = 2 * secondsPerDay

// Clock measures SLA time: either the business hours of a Calendar or every hour (Wall).
type Clock interface {
	// Deadline is the instant at which d of SLA time has elapsed after start. A zero d is due at start,
	// even when start lies outside working hours. A negative d is an error.
	Deadline(start time.Time, d time.Duration) (time.Time, error)
	// Elapsed is the SLA time in [from, to); zero when to is not after from.
	Elapsed(from, to time.Time) time.Duration
}

// Mode names a Clock as a LeadPolicy's SLA target does.
type Mode string

const (
	// BusinessHours counts only the team calendar's working hours, skipping its holidays.
	BusinessHours Mode = "BusinessHours"
	// WallClock counts every hour.
	WallClock Mode = "WallClock"
)

// ParseMode parses a clock mode; empty is BusinessHours, the API's default.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", BusinessHours:
		return BusinessHours, nil
	case WallClock:
		return WallClock, nil
	}
	return "", fmt.Errorf("clock: %q is not a clock mode (BusinessHours or WallClock)", s)
}

// NewClock returns the clock for a mode: the calendar itself for BusinessHours (which then must not be
// nil), Wall for WallClock (the calendar is ignored and may be nil).
func NewClock(mode Mode, cal *Calendar) (Clock, error) {
	switch mode {
	case BusinessHours, "":
		if cal == nil {
			return nil, errors.New("slaclock: a BusinessHours clock needs the team's calendar")
		}
		return cal, nil
	case WallClock:
		return Wall, nil
	}
	return nil, fmt.Errorf("clock: %q is not a clock mode (BusinessHours or WallClock)", string(mode))
}

// Wall is the wall clock: every instant counts.
var Wall Clock = wallClock{}

type wallClock struct{}

// Deadline is start + d.
func (wallClock) Deadline(start time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("slaclock: negative duration %s", d)
	}
	return start.Add(d), nil
}

// Elapsed is to - from, or zero when to is not after from.
func (wallClock) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	return to.Sub(from)
}

// WarnAt is the instant at which the SLA time left before the deadline of a `within` SLA started at
// start comes down to warnBefore: Deadline(start, within-warnBefore). A zero warnBefore gives the
// deadline itself; warnBefore equal to within gives start. A negative warnBefore, or one longer than
// within, is an error.
func WarnAt(c Clock, start time.Time, within, warnBefore time.Duration) (time.Time, error) {
	if warnBefore < 0 || warnBefore > within {
		return time.Time{}, fmt.Errorf("slaclock: warnBefore %s must be between zero and within %s", warnBefore, within)
	}
	return c.Deadline(start, within-warnBefore)
}

// Times are the instants of one SLA target.
type Times struct {
	// Warn is when the handoff becomes at risk; zero when the target has no warnBefore.
	Warn time.Time
	// Deadline is when the handoff breaches.
	Deadline time.Time
}

// Schedule computes the warning time and the deadline of an SLA target that starts at start, in one
// pass (the deadline is measured on from the warning time, which gives the same instant).
func Schedule(c Clock, start time.Time, within, warnBefore time.Duration) (Times, error) {
	if within < 0 {
		return Times{}, fmt.Errorf("slaclock: negative within %s", within)
	}
	if warnBefore == 0 {
		dl, err := c.Deadline(start, within)
		return Times{Deadline: dl}, err
	}
	warn, err := WarnAt(c, start, within, warnBefore)
	if err != nil {
		return Times{}, err
	}
	dl, err := c.Deadline(warn, warnBefore)
	if err != nil {
		return Times{}, err
	}
	return Times{Warn: warn, Deadline: dl}, nil
}

// zoneCache remembers one period of constant UTC offset during a computation.
type zoneCache struct {
	off    int64 // seconds east of UTC
	lo, hi int64 // the offset holds for unix seconds in [lo, hi)
	ok     bool
}

// fixedOffset reports whether days [n, n+days) (and zoneMargin either side) lie in one period of
// constant UTC offset, and that offset. Then the wall time w of those days is the instant w - off.
func (c *Calendar) fixedOffset(n, days int64, zc *zoneCache) (int64, bool) {
	naive := n * secondsPerDay
	covers := func() bool {
		i := naive - zc.off
		return i-zoneMargin >= zc.lo && i+days*secondsPerDay+zoneMargin <= zc.hi
	}
	if zc.ok && covers() {
		return zc.off, true
	}
	if zc.ok {
		// The cached period holds at the start of day n but not for all the days asked for.
		if i := naive - zc.off; i-zoneMargin >= zc.lo && i < zc.hi {
			return 0, false
		}
	}
	_, guess := time.Unix(naive, 0).In(c.loc).Zone()
	t := time.Unix(naive-int64(guess), 0).In(c.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	*zc = zoneCache{off: int64(off), lo: math.MinInt64, hi: math.MaxInt64, ok: true}
	if !start.IsZero() {
		zc.lo = start.Unix()
	}
	if !end.IsZero() {
		zc.hi = end.Unix()
	}
	if off != guess || !covers() {
		return 0, false
	}
	return zc.off, true
}

// resolve maps a wall time (seconds since 1970-01-01 00:00 on the calendar's wall clock) to the first
// instant (unix seconds) at which the wall clock shows that time or later: the instant itself when the
// wall time occurs once, its first occurrence when it occurs twice (fall back), and the moment of the
// jump when it is skipped (spring forward).
func (c *Calendar) resolve(naive int64) int64 {
	u := time.Unix(naive, 0).UTC()
	y, mo, d := u.Date()
	h, mi, s := u.Clock()
	t := time.Date(y, mo, d, h, mi, s, 0, c.loc)
	_, off := t.Zone()
	at := t.Unix()
	switch wall := at + int64(off); {
	case wall == naive:
		// The wall time exists; if the zone before t had a larger offset, it may have occurred earlier.
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			return at
		}
		_, prev := start.Add(-time.Second).Zone()
		if cand := naive - int64(prev); cand < at && cand < start.Unix() {
			if _, o := time.Unix(cand, 0).In(c.loc).Zone(); o == prev {
				return cand
			}
		}
		return at
	case wall > naive:
		// t lies after a gap that swallowed the wall time: the gap ends where t's zone starts.
		start, _ := t.ZoneBounds()
		return start.Unix()
	default:
		// t lies before the gap: the gap ends where t's zone ends.
		_, end := t.ZoneBounds()
		return end.Unix()
	}
}

// dayBlock returns the instants (unix seconds) that begin and end span s on day n.
func (c *Calendar) dayBlock(n int64, s span, off int64, fixed bool) (int64, int64) {
	ws := n*secondsPerDay + int64(s.start)*60
	we := n*secondsPerDay + int64(s.end)*60
	if fixed {
		return ws - off, we - off
	}
	return c.resolve(ws), c.resolve(we)
}

// dayStart is the instant day n begins.
func (c *Calendar) dayStart(n, off int64, fixed bool) int64 {
	if fixed {
		return n*secondsPerDay - off
	}
	return c.resolve(n * secondsPerDay)
}

// localDay is the day number of t's date in the calendar's timezone.
func (c *Calendar) localDay(t time.Time) int64 {
	y, m, d := t.In(c.loc).Date()
	return Date{y, m, d}.dayNumber()
}

func weekday(n int64) time.Weekday {
	return time.Weekday(((n+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
}

func (c *Calendar) isHoliday(n int64) bool {
	_, found := slices.BinarySearch(c.holidays, n)
	return found
}

// holidayIn reports whether a holiday falls on days [a, b).
func (c *Calendar) holidayIn(a, b int64) bool {
	i, _ := slices.BinarySearch(c.holidays, a)
	return i < len(c.holidays) && c.holidays[i] < b
}

// dayLimit bounds how many days a deadline of d can lie after its start, however the calendar's
// holidays and clock changes fall; Deadline reports ErrNoWorkingTime past it rather than loop.
func (c *Calendar) dayLimit(d time.Duration) int64 {
	weeks := int64(d / c.weekly)
	return 14*(weeks+2) + 2*int64(len(c.holidays)) + 14
}

// Deadline is the instant at which d of business time has elapsed after start. Counting begins at start
// when it lies in working hours, otherwise at the next working instant; a deadline that is reached
// exactly at the end of a block is that end (not the next opening). A zero d is due at start, even
// outside working hours. The result is in start's location. It returns ErrNoWorkingTime when the
// calendar has no working time.
func (c *Calendar) Deadline(start time.Time, d time.Duration) (time.Time, error) {
	switch {
	case d < 0:
		return time.Time{}, fmt.Errorf("slaclock: negative duration %s", d)
	case d == 0:
		return start, nil
	case c.weekly == 0:
		return time.Time{}, ErrNoWorkingTime
	}
	out := start.Location()
	start = start.Round(0) // drop any monotonic reading: only the wall instant matters
	remaining := d
	var zc zoneCache
	first := c.localDay(start) - 1 // a block of the day before may still be open (fall back)
	last := first + c.dayLimit(d)
	for n := first; n <= last; n++ {
		off, fixed := c.fixedOffset(n, 1, &zc)
		if fixed && remaining > c.weekly && !time.Unix(c.dayStart(n, off, true), 0).Before(start) {
			// A whole ordinary week before the deadline: step over it at once.
			if _, week := c.fixedOffset(n, 7, &zc); week && !c.holidayIn(n, n+7) {
				remaining -= c.weekly
				n += 6
				continue
			}
		}
		if c.isHoliday(n) {
			continue
		}
		for _, s := range c.week[weekday(n)] {
			bs, be := c.dayBlock(n, s, off, fixed)
			end := time.Unix(be, 0)
			if !end.After(start) {
				continue
			}
			from := time.Unix(bs, 0)
			if from.Before(start) {
				from = start
			}
			avail := end.Sub(from)
			if avail <= 0 {
				continue
			}
			if remaining <= avail {
				return from.Add(remaining).In(out), nil
			}
			remaining -= avail
		}
	}
	return time.Time{}, fmt.Errorf("%w (none found in the %d days after %s)", ErrNoWorkingTime, last-first, start.Format(time.RFC3339))
}

// Elapsed is the business time in [from, to): zero when to is not after from. It agrees with Deadline:
// Elapsed(start, Deadline(start, d)) == d whenever the deadline exists.
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) || c.weekly == 0 {
		return 0
	}
	from, to = from.Round(0), to.Round(0)
	var total time.Duration
	var zc zoneCache
	for n := c.localDay(from) - 1; ; n++ {
		off, fixed := c.fixedOffset(n, 1, &zc)
		ds := time.Unix(c.dayStart(n, off, fixed), 0)
		if !ds.Before(to) {
			break
		}
		if fixed && !ds.Before(from) && !time.Unix((n+7)*secondsPerDay-off, 0).After(to) {
			// A whole ordinary week inside [from, to): add it at once.
			if _, week := c.fixedOffset(n, 7, &zc); week && !c.holidayIn(n, n+7) {
				total += c.weekly
				n += 6
				continue
			}
		}
		if c.isHoliday(n) {
			continue
		}
		for _, s := range c.week[weekday(n)] {
			bs, be := c.dayBlock(n, s, off, fixed)
			b, e := time.Unix(bs, 0), time.Unix(be, 0)
			if !b.Before(to) {
				break
			}
			if b.Before(from) {
				b = from
			}
			if e.After(to) {
				e = to
			}
			if e.After(b) {
				total += e.Sub(b)
			}
		}
	}
	return total
}

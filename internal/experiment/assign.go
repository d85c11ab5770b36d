package experiment

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"

	"github.com/leadops/leadops/internal/goals"
)

// SplitArm returns the index of the arm a lead belongs to under Split assignment: a stable function
// of the experiment's name and the lead's id, in proportion to weights. It returns -1 when no weight
// is positive (a weight of zero or below is never chosen).
//
// The key is SHA-256(experiment + "\x00" + leadID); its first 8 bytes, big-endian, are a uniform
// 64-bit number u, mapped to [0, sum(weights)) as floor(u × sum / 2^64) (the high word of the 128-bit
// product, which has no modulo bias worth naming: sum ≤ 8,000 against 2^64). The bucket falls into
// the arm whose cumulative weight range holds it. The NUL separator keeps ("ab","c") and ("a","bc")
// apart. The same inputs give the same arm in every process, on every architecture, forever: never
// change this function without renaming the experiment.
func SplitArm(leadID, experiment string, weights []int32) int {
	var sum uint64
	for _, w := range weights {
		if w > 0 {
			sum += uint64(w)
		}
	}
	if sum == 0 {
		return -1
	}
	h := sha256.New()
	h.Write([]byte(experiment))
	h.Write([]byte{0})
	h.Write([]byte(leadID))
	var d [sha256.Size]byte
	u := binary.BigEndian.Uint64(h.Sum(d[:0]))
	bucket, _ := bits.Mul64(u, sum)
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		if bucket < uint64(w) {
			return i
		}
		bucket -= uint64(w)
	}
	return -1 // unreachable: bucket < sum
}

// ValidatePeriod says whether period can drive Alternate assignment: a positive whole number of hours.
func ValidatePeriod(period time.Duration) error {
	if period <= 0 || period%time.Hour != 0 {
		return fmt.Errorf("alternation period %s must be a positive whole number of hours, such as 24h or 168h", period)
	}
	return nil
}

// Alternation calendar.
//
// Periods are counted from the anchor: local midnight (in loc) of the day start falls on. So an
// experiment that starts on a Monday at 09:30 with a 168h period switches arms at 00:00 local every
// Monday, and its first arm takes leads in for the 6 days 14.5 hours left of that first week.
//
//   - A period that is a whole number of days (a multiple of 24h) is counted in calendar days of loc:
//     boundaries are local midnights, so a 168h period switches at 00:00 local on the same weekday on
//     both sides of a DST change (that week is 167 or 169 real hours long).
//   - Any other whole number of hours is counted in real elapsed time from the anchor: a 12h period
//     switches at 00:00 and 12:00 local until a DST change, then an hour off the wall clock. Use whole
//     days when the switch must stay on a local hour.
//   - A day starts at its first instant as TeamGoal periods count it (goals.StartOfDay): where a DST
//     change skips local midnight (America/Santiago, America/Havana), at the transition (01:00 local);
//     where midnight happens twice, at the first.
//   - An instant before the anchor belongs to no period; AlternateArm reports arm 0 for it (the
//     controller does not assign before start).

// AlternateArm returns the index of the arm active at t when arms arms take turns every period,
// counted from start in loc as described above. It returns 0 for an invalid period, arms < 1, or t
// before the first period.
func AlternateArm(t, start time.Time, period time.Duration, loc *time.Location, arms int) int {
	if arms < 1 || ValidatePeriod(period) != nil {
		return 0
	}
	k := periodIndex(t, start, period, loc)
	if k < 0 {
		return 0
	}
	return int(k % int64(arms))
}

// NextSwitch returns the first instant after t at which the Alternate arm changes (the start of the
// next period), for a RequeueAfter. Before the first period it returns the anchor. It returns the zero
// time for an invalid period.
func NextSwitch(t, start time.Time, period time.Duration, loc *time.Location) time.Time {
	if ValidatePeriod(period) != nil {
		return time.Time{}
	}
	k := periodIndex(t, start, period, loc)
	if k < 0 {
		return anchorOf(start, loc)
	}
	return boundary(start, period, loc, k+1)
}

// PeriodStart returns the first instant of the period in force at t (the anchor before it).
func PeriodStart(t, start time.Time, period time.Duration, loc *time.Location) time.Time {
	if ValidatePeriod(period) != nil {
		return time.Time{}
	}
	k := periodIndex(t, start, period, loc)
	if k < 0 {
		k = 0
	}
	return boundary(start, period, loc, k)
}

func location(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// anchorOf is the first instant of start's day in loc.
func anchorOf(start time.Time, loc *time.Location) time.Time {
	return goals.StartOfDay(localDate(start, loc), location(loc))
}

func localDate(t time.Time, loc *time.Location) goals.Date {
	y, m, d := t.In(location(loc)).Date()
	return goals.Date{Year: y, Month: m, Day: d}
}

// periodIndex is the number of whole periods between the anchor and t; negative before the anchor.
func periodIndex(t, start time.Time, period time.Duration, loc *time.Location) int64 {
	anchor := anchorOf(start, loc)
	if t.Before(anchor) {
		return -1
	}
	if period%(24*time.Hour) == 0 {
		days := int64(period / (24 * time.Hour))
		k := int64(localDate(start, loc).DaysUntil(localDate(t, loc))) / days
		// Where clocks fall back across midnight, an instant dated the next day can precede that
		// day's start (the first midnight); step back rather than switch early.
		for k > 0 && t.Before(boundary(start, period, loc, k)) {
			k--
		}
		return k
	}
	return int64(t.Sub(anchor) / period)
}

// boundary is the first instant of period k: for whole-day periods the first instant of the local
// day (goals.StartOfDay: local midnight, or the DST transition where midnight is skipped), else the
// anchor plus k periods of real time.
func boundary(start time.Time, period time.Duration, loc *time.Location, k int64) time.Time {
	if period%(24*time.Hour) == 0 {
		days := int(k) * int(period/(24*time.Hour))
		return goals.StartOfDay(localDate(start, loc).AddDays(days), location(loc))
	}
	return anchorOf(start, loc).Add(time.Duration(k) * period)
}

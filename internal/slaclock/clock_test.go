package slaclock

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo
)

var (
	weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
	allDays  = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// calendars used by the table tests, by name.
func testCalendars(t testing.TB) map[string]*Calendar {
	t.Helper()
	mk := func(tz string, hours []Hours, holidays ...string) *Calendar {
		c, err := ParseCalendar(tz, hours, holidays)
		if err != nil {
			t.Fatalf("ParseCalendar(%q): %v", tz, err)
		}
		return c
	}
	return map[string]*Calendar{
		// Monday to Friday 09:00–17:00 (the default).
		"ny":     mk("America/New_York", nil),
		"berlin": mk("Europe/Berlin", nil),
		// The default week with New Year's Day (a Friday) and Martin Luther King Day (a Monday).
		"ny-holidays": mk("America/New_York", nil, "2027-01-01", "2027-01-18"),
		// A split day with a lunch break.
		"berlin-split": mk("Europe/Berlin", []Hours{
			{Days: weekdays, Start: "09:00", End: "12:00"},
			{Days: weekdays, Start: "13:00", End: "17:00"},
		}),
		// Overlapping blocks: Monday–Friday 09:00–17:00, and Wednesday until 20:00.
		"ny-overlap": mk("America/New_York", []Hours{
			{Days: weekdays, Start: "09:00", End: "13:00"},
			{Days: weekdays, Start: "12:00", End: "17:00"},
			{Days: []string{"Wednesday"}, Start: "16:00", End: "20:00"},
		}),
		// An evening shift that ends at midnight, Monday to Saturday.
		"berlin-evening": mk("Europe/Berlin", []Hours{
			{Days: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}, Start: "18:00", End: "24:00"},
		}),
		// Round the clock.
		"ny-24x7":     mk("America/New_York", []Hours{{Days: allDays, Start: "00:00", End: "24:00"}}),
		"berlin-24x7": mk("Europe/Berlin", []Hours{{Days: allDays, Start: "00:00", End: "24:00"}}),
		// A night shift 01:00–04:00 every day, across the hours the clocks change.
		"ny-night":     mk("America/New_York", []Hours{{Days: allDays, Start: "01:00", End: "04:00"}}),
		"berlin-night": mk("Europe/Berlin", []Hours{{Days: allDays, Start: "01:00", End: "04:00"}}),
		// Every day 09:00–17:00, weekends included.
		"ny-7days":     mk("America/New_York", []Hours{{Days: allDays, Start: "09:00", End: "17:00"}}),
		"berlin-7days": mk("Europe/Berlin", []Hours{{Days: allDays, Start: "09:00", End: "17:00"}}),
		// A Sunday block that lies wholly inside the spring-forward gap, and Mondays 09:00–10:00.
		"ny-gap": mk("America/New_York", []Hours{
			{Days: []string{"Sunday"}, Start: "02:00", End: "03:00"},
			{Days: []string{"Monday"}, Start: "09:00", End: "10:00"},
		}),
	}
}

// at parses an RFC 3339 instant, or "YYYY-MM-DD HH:MM[:SS[.fff]]" as wall time in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return ts
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05.999999999"} {
		if ts, err := time.ParseInLocation(layout, s, loc); err == nil {
			return ts
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

func dur(t testing.TB, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeadline(t *testing.T) {
	cals := testCalendars(t)
	cases := []struct {
		name  string
		cal   string
		mode  Mode
		start string
		d     string
		want  string
	}{
		// Ordinary days (New York, January 2027: no clock change; 2027-01-05 is a Tuesday).
		{"inside hours", "ny", BusinessHours, "2027-01-05 10:00", "1h", "2027-01-05 11:00"},
		{"before opening", "ny", BusinessHours, "2027-01-05 07:30", "1h", "2027-01-05 10:00"},
		{"after closing", "ny", BusinessHours, "2027-01-05 18:00", "1h", "2027-01-06 10:00"},
		{"exactly at opening, a full day ends at closing", "ny", BusinessHours, "2027-01-05 09:00", "8h", "2027-01-05 17:00"},
		{"exactly at closing", "ny", BusinessHours, "2027-01-05 17:00", "1h", "2027-01-06 10:00"},
		{"just before closing rolls over", "ny", BusinessHours, "2027-01-05 16:30", "1h", "2027-01-06 09:30"},
		{"sub-second precision", "ny", BusinessHours, "2027-01-05 16:59:59.5", "1s", "2027-01-06 09:00:00.5"},
		{"friday evening", "ny", BusinessHours, "2027-01-08 18:30", "2h", "2027-01-11 11:00"},
		{"friday afternoon over the weekend", "ny", BusinessHours, "2027-01-08 16:00", "2h", "2027-01-11 10:00"},
		{"saturday start", "ny", BusinessHours, "2027-01-09 12:00", "30m", "2027-01-11 09:30"},
		{"sunday one minute before midnight", "ny", BusinessHours, "2027-01-10 23:59", "1m", "2027-01-11 09:01"},
		{"20 business hours from opening", "ny", BusinessHours, "2027-01-11 09:00", "20h", "2027-01-13 13:00"},
		{"20 business hours over a weekend", "ny", BusinessHours, "2027-01-13 14:00", "20h", "2027-01-18 10:00"},
		{"40 hours is the working week", "ny", BusinessHours, "2027-01-11 09:00", "40h", "2027-01-15 17:00"},
		{"40 hours and a minute", "ny", BusinessHours, "2027-01-11 09:00", "40h1m", "2027-01-18 09:01"},
		{"five working weeks", "ny", BusinessHours, "2027-01-05 10:00", "200h", "2027-02-09 10:00"},
		{"zero duration outside hours is due at start", "ny", BusinessHours, "2027-01-09 12:00", "0s", "2027-01-09 12:00"},
		{"zero duration inside hours", "ny", BusinessHours, "2027-01-05 10:00", "0s", "2027-01-05 10:00"},

		// Holidays: New Year's Day is a Friday, Martin Luther King Day a Monday after a weekend.
		{"thursday afternoon before a friday holiday", "ny-holidays", BusinessHours, "2026-12-31 16:00", "2h", "2027-01-04 10:00"},
		{"friday evening before a monday holiday", "ny-holidays", BusinessHours, "2027-01-15 17:30", "1h", "2027-01-19 10:00"},
		{"start on the holiday", "ny-holidays", BusinessHours, "2027-01-18 10:00", "1h", "2027-01-19 10:00"},
		{"two days around a monday holiday", "ny-holidays", BusinessHours, "2027-01-15 09:00", "16h", "2027-01-19 17:00"},
		{"holiday inside a long span", "ny-holidays", BusinessHours, "2027-01-11 09:00", "48h", "2027-01-19 17:00"},

		// A split day, 09:00–12:00 and 13:00–17:00 (Berlin, February 2027).
		{"split: over lunch", "berlin-split", BusinessHours, "2027-02-02 11:00", "2h", "2027-02-02 14:00"},
		{"split: start at lunch", "berlin-split", BusinessHours, "2027-02-02 12:30", "30m", "2027-02-02 13:30"},
		{"split: start exactly at the break", "berlin-split", BusinessHours, "2027-02-02 12:00", "3h", "2027-02-02 16:00"},
		{"split: the morning ends at its end", "berlin-split", BusinessHours, "2027-02-02 09:00", "3h", "2027-02-02 12:00"},
		{"split: a full day is 7 hours", "berlin-split", BusinessHours, "2027-02-02 09:00", "7h", "2027-02-02 17:00"},
		{"split: 8 hours reach the next day", "berlin-split", BusinessHours, "2027-02-02 09:00", "8h", "2027-02-03 10:00"},

		// Overlapping blocks are merged: Tuesday is 8 hours, Wednesday 11.
		{"overlap: no double counting", "ny-overlap", BusinessHours, "2027-01-05 09:00", "8h", "2027-01-05 17:00"},
		{"overlap: the longer wednesday", "ny-overlap", BusinessHours, "2027-01-06 09:00", "11h", "2027-01-06 20:00"},
		{"overlap: after the longer wednesday", "ny-overlap", BusinessHours, "2027-01-06 19:30", "1h", "2027-01-07 09:30"},

		// A block ending at 24:00.
		{"24:00: over midnight into the next evening", "berlin-evening", BusinessHours, "2027-02-02 23:00", "2h", "2027-02-03 19:00"},
		{"24:00: ends exactly at midnight", "berlin-evening", BusinessHours, "2027-02-02 18:00", "6h", "2027-02-03 00:00"},
		{"24:00: saturday night to monday", "berlin-evening", BusinessHours, "2027-02-06 23:30", "1h", "2027-02-08 18:30"},
		{"round the clock is the wall clock", "ny-24x7", BusinessHours, "2027-01-08 10:00", "72h", "2027-01-11 10:00"},

		// Wall-clock mode.
		{"wall: friday evening", "ny", WallClock, "2027-01-08 18:30", "2h", "2027-01-08 20:30"},
		{"wall: zero", "ny", WallClock, "2027-01-09 12:00", "0s", "2027-01-09 12:00"},
		{"wall: New York spring forward", "ny", WallClock, "2027-03-13T12:00:00-05:00", "24h", "2027-03-14T13:00:00-04:00"},
		{"wall: Berlin fall back", "berlin", WallClock, "2027-10-30T12:00:00+02:00", "24h", "2027-10-31T11:00:00+01:00"},

		// Daylight saving, New York (2027-03-14 02:00 EST → 03:00 EDT; 2027-11-07 02:00 EDT → 01:00 EST).
		{"NY forward: friday to monday", "ny", BusinessHours, "2027-03-12T16:00:00-05:00", "2h", "2027-03-15T10:00:00-04:00"},
		{"NY back: friday to monday", "ny", BusinessHours, "2027-11-05T16:30:00-04:00", "1h", "2027-11-08T09:30:00-05:00"},
		{"NY forward: 09-17 is still 8 hours", "ny-7days", BusinessHours, "2027-03-14T09:00:00-04:00", "8h", "2027-03-14T17:00:00-04:00"},
		{"NY forward: 01-04 is 2 hours", "ny-night", BusinessHours, "2027-03-14T01:00:00-05:00", "2h", "2027-03-14T04:00:00-04:00"},
		{"NY forward: past the short night", "ny-night", BusinessHours, "2027-03-14T01:00:00-05:00", "2h30m", "2027-03-15T01:30:00-04:00"},
		{"NY back: 01-04 is 4 hours", "ny-night", BusinessHours, "2027-11-07T01:00:00-04:00", "3h30m", "2027-11-07T03:30:00-05:00"},
		{"NY back: the long night ends at 04:00", "ny-night", BusinessHours, "2027-11-07T01:00:00-04:00", "4h", "2027-11-07T04:00:00-05:00"},
		{"NY back: start in the repeated hour", "ny-night", BusinessHours, "2027-11-07T01:30:00-05:00", "1h", "2027-11-07T02:30:00-05:00"},
		{"NY forward: round the clock", "ny-24x7", BusinessHours, "2027-03-13T12:00:00-05:00", "24h", "2027-03-14T13:00:00-04:00"},
		{"NY forward: a block inside the gap is empty", "ny-gap", BusinessHours, "2027-03-13 12:00", "30m", "2027-03-15T09:30:00-04:00"},
		{"NY: the same block a week later", "ny-gap", BusinessHours, "2027-03-20 12:00", "30m", "2027-03-21T02:30:00-04:00"},

		// Daylight saving, Berlin (2027-03-28 02:00 CET → 03:00 CEST; 2027-10-31 03:00 CEST → 02:00 CET).
		{"Berlin forward: friday to monday", "berlin", BusinessHours, "2027-03-26T16:00:00+01:00", "2h", "2027-03-29T10:00:00+02:00"},
		{"Berlin back: friday to monday", "berlin", BusinessHours, "2027-10-29T16:00:00+02:00", "2h", "2027-11-01T10:00:00+01:00"},
		{"Berlin forward: 01-04 is 2 hours", "berlin-night", BusinessHours, "2027-03-28T01:00:00+01:00", "2h", "2027-03-28T04:00:00+02:00"},
		{"Berlin forward: past the short night", "berlin-night", BusinessHours, "2027-03-28T01:00:00+01:00", "2h30m", "2027-03-29T01:30:00+02:00"},
		{"Berlin back: 01-04 is 4 hours", "berlin-night", BusinessHours, "2027-10-31T01:00:00+02:00", "4h", "2027-10-31T04:00:00+01:00"},
		{"Berlin back: 09-17 is still 8 hours", "berlin-7days", BusinessHours, "2027-10-31T09:00:00+01:00", "8h", "2027-10-31T17:00:00+01:00"},
		{"Berlin back: round the clock", "berlin-24x7", BusinessHours, "2027-10-30T12:00:00+02:00", "24h", "2027-10-31T11:00:00+01:00"},
		{"Berlin forward: a week of night shifts", "berlin-night", BusinessHours, "2027-03-25T00:00:00+01:00", "20h", "2027-03-31T04:00:00+02:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cal := cals[tc.cal]
			clk, err := NewClock(tc.mode, cal)
			if err != nil {
				t.Fatal(err)
			}
			start, d, want := at(t, cal.Location(), tc.start), dur(t, tc.d), at(t, cal.Location(), tc.want)
			got, err := clk.Deadline(start, d)
			if err != nil {
				t.Fatalf("Deadline(%s, %s): %v", start, d, err)
			}
			if !got.Equal(want) {
				t.Fatalf("Deadline(%s, %s) = %s, want %s", start, d, got.In(cal.Location()), want.In(cal.Location()))
			}
			if got.Location() != start.Location() {
				t.Errorf("Deadline is in %s, want start's location %s", got.Location(), start.Location())
			}
			if e := clk.Elapsed(start, got); e != d {
				t.Errorf("Elapsed(start, deadline) = %s, want %s", e, d)
			}
		})
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
}

func TestElapsed(t *testing.T) {
	cals := testCalendars(t)
	cases := []struct {
		name     string
		cal      string
		mode     Mode
		from, to string
		want     string
	}{
		{"within one block", "ny", BusinessHours, "2027-01-05 10:00", "2027-01-05 12:30", "2h30m"},
		{"to before from", "ny", BusinessHours, "2027-01-05 12:00", "2027-01-05 10:00", "0s"},
		{"to equals from", "ny", BusinessHours, "2027-01-05 12:00", "2027-01-05 12:00", "0s"},
		{"only non-working time", "ny", BusinessHours, "2027-01-08 17:00", "2027-01-11 09:00", "0s"},
		{"friday afternoon to monday morning", "ny", BusinessHours, "2027-01-08 16:00", "2027-01-11 10:00", "2h"},
		{"around a monday holiday", "ny-holidays", BusinessHours, "2027-01-15 09:00", "2027-01-19 17:00", "16h"},
		{"split day", "berlin-split", BusinessHours, "2027-02-02 08:00", "2027-02-02 20:00", "7h"},
		{"overlapping blocks", "ny-overlap", BusinessHours, "2027-01-04 00:00", "2027-01-11 00:00", "43h"},
		{"a whole year of weeks", "ny", BusinessHours, "2027-01-04 09:00", "2027-12-31 17:00", "2080h"},
		{"NY short night", "ny-night", BusinessHours, "2027-03-14T00:00:00-05:00", "2027-03-14T05:00:00-04:00", "2h"},
		{"NY long night", "ny-night", BusinessHours, "2027-11-07T00:00:00-04:00", "2027-11-07T05:00:00-05:00", "4h"},
		{"NY spring weekend round the clock", "ny-24x7", BusinessHours, "2027-03-13 00:00", "2027-03-15 00:00", "47h"},
		{"Berlin autumn weekend round the clock", "berlin-24x7", BusinessHours, "2027-10-30 00:00", "2027-11-01 00:00", "49h"},
		{"Berlin night shifts over the change", "berlin-night", BusinessHours, "2027-03-27 00:00", "2027-03-30 00:00", "8h"},
		{"wall clock over spring forward", "ny", WallClock, "2027-03-13 00:00", "2027-03-15 00:00", "47h"},
		{"wall clock backwards", "ny", WallClock, "2027-03-15 00:00", "2027-03-13 00:00", "0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cal := cals[tc.cal]
			clk, err := NewClock(tc.mode, cal)
			if err != nil {
				t.Fatal(err)
			}
			from, to := at(t, cal.Location(), tc.from), at(t, cal.Location(), tc.to)
			if got, want := clk.Elapsed(from, to), dur(t, tc.want); got != want {
				t.Fatalf("Elapsed(%s, %s) = %s, want %s", from, to, got, want)
			}
		})
	}
}

func TestWarnAtAndSchedule(t *testing.T) {
	cals := testCalendars(t)
	ny := cals["ny"]
	loc := ny.Location()
	cases := []struct {
		name               string
		clk                Clock
		start              string
		within, warnBefore string
		warn, deadline     string // warn "" means none
	}{
		{"4h SLA warned 1h before", ny, "2027-01-08 15:00", "4h", "1h", "2027-01-11 10:00", "2027-01-11 11:00"},
		{"warning falls on the previous day", ny, "2027-01-05 14:00", "4h", "2h", "2027-01-05 16:00", "2027-01-06 10:00"},
		{"warning just before a weekend", ny, "2027-01-08 09:00", "9h", "1h", "2027-01-08 17:00", "2027-01-11 10:00"},
		{"no warning", ny, "2027-01-05 10:00", "1h", "0s", "", "2027-01-05 11:00"},
		{"wall clock", Wall, "2027-01-08 15:00", "4h", "1h", "2027-01-08 18:00", "2027-01-08 19:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := at(t, loc, tc.start)
			within, warnBefore := dur(t, tc.within), dur(t, tc.warnBefore)
			got, err := Schedule(tc.clk, start, within, warnBefore)
			if err != nil {
				t.Fatal(err)
			}
			if want := at(t, loc, tc.deadline); !got.Deadline.Equal(want) {
				t.Errorf("deadline %s, want %s", got.Deadline, want)
			}
			if tc.warn == "" {
				if !got.Warn.IsZero() {
					t.Errorf("warning %s, want none", got.Warn)
				}
				return
			}
			want := at(t, loc, tc.warn)
			if !got.Warn.Equal(want) {
				t.Errorf("warning %s, want %s", got.Warn, want)
			}
			w, err := WarnAt(tc.clk, start, within, warnBefore)
			if err != nil || !w.Equal(want) {
				t.Errorf("WarnAt = %s, %v; want %s", w, err, want)
			}
			if left := tc.clk.Elapsed(got.Warn, got.Deadline); left != warnBefore {
				t.Errorf("time left at the warning %s, want %s", left, warnBefore)
			}
		})
	}

	start := at(t, loc, "2027-01-05 10:00")
	if w, err := WarnAt(ny, start, time.Hour, time.Hour); err != nil || !w.Equal(start) {
		t.Errorf("WarnAt(warnBefore == within) = %s, %v; want start", w, err)
	}
	if w, err := WarnAt(ny, start, time.Hour, 0); err != nil || !w.Equal(start.Add(time.Hour)) {
		t.Errorf("WarnAt(warnBefore == 0) = %s, %v; want the deadline", w, err)
	}
	for _, bad := range [][2]time.Duration{{time.Hour, 2 * time.Hour}, {time.Hour, -time.Minute}, {-time.Hour, 0}} {
		if _, err := Schedule(ny, start, bad[0], bad[1]); err == nil {
			t.Errorf("Schedule(within %s, warnBefore %s) did not fail", bad[0], bad[1])
		}
	}
	if _, err := ny.Deadline(start, -time.Second); err == nil {
		t.Error("a negative duration did not fail")
	}
	if _, err := Wall.Deadline(start, -time.Second); err == nil {
		t.Error("a negative wall-clock duration did not fail")
	}
}

func TestNoWorkingTime(t *testing.T) {
	empty, err := NewCalendar(time.UTC, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC)
	done := make(chan error, 1)
	go func() {
		_, err := empty.Deadline(start, time.Hour)
		if err == nil {
			_, err = Schedule(empty, start, time.Hour, time.Minute)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoWorkingTime) {
			t.Fatalf("Deadline on a calendar without working time: %v, want ErrNoWorkingTime", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Deadline on a calendar without working time did not return")
	}
	if got, err := empty.Deadline(start, 0); err != nil || !got.Equal(start) {
		t.Errorf("zero duration = %s, %v; want start", got, err)
	}
	if e := empty.Elapsed(start, start.Add(1000*time.Hour)); e != 0 {
		t.Errorf("Elapsed = %s, want 0", e)
	}
	if _, err := Schedule(empty, start, time.Hour, time.Minute); !errors.Is(err, ErrNoWorkingTime) {
		t.Errorf("Schedule: %v, want ErrNoWorkingTime", err)
	}
}

func TestParseCalendar(t *testing.T) {
	c, err := ParseCalendar("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Location() != time.UTC || c.WeeklyWorkingTime() != 40*time.Hour {
		t.Errorf("defaults: %s, %s; want UTC, 40h", c.Location(), c.WeeklyWorkingTime())
	}
	c, err = ParseCalendar("Europe/Berlin", []Hours{
		{Days: []string{"monday", "Tuesday", "Tuesday"}, Start: "08:00", End: "24:00"},
		{Days: []string{"Monday"}, Start: "00:00", End: "10:00"},
	}, []string{"2027-12-25", "2027-12-25"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WeeklyWorkingTime(); got != 24*time.Hour+16*time.Hour {
		t.Errorf("weekly working time %s, want 40h (Monday 24h merged, Tuesday 16h)", got)
	}
	if len(c.holidays) != 1 {
		t.Errorf("duplicate holidays kept: %v", c.holidays)
	}
}

func TestParseErrors(t *testing.T) {
	day := []string{"Monday"}
	cases := []struct {
		name     string
		tz       string
		hours    []Hours
		holidays []string
		want     string // a fragment of the error
	}{
		{"unknown timezone", "Mars/Olympus", nil, nil, `timezone: "Mars/Olympus" is not an IANA timezone`},
		{"Local is not a team timezone", "Local", nil, nil, `timezone: "Local"`},
		{"one-digit hour", "UTC", []Hours{{Days: day, Start: "9:00", End: "17:00"}}, nil, `workingHours[0].start: "9:00" is not a time "HH:MM"`},
		{"hour 25", "UTC", []Hours{{Days: day, Start: "09:00", End: "25:00"}}, nil, `workingHours[0].end: "25:00"`},
		{"past 24:00", "UTC", []Hours{{Days: day, Start: "09:00", End: "24:01"}}, nil, `workingHours[0].end: "24:01"`},
		{"minute 60", "UTC", []Hours{{Days: day, Start: "09:60", End: "17:00"}}, nil, `workingHours[0].start: "09:60"`},
		{"seconds", "UTC", []Hours{{Days: day, Start: "09:00:00", End: "17:00"}}, nil, `workingHours[0].start: "09:00:00"`},
		{"empty time", "UTC", []Hours{{Days: day, Start: "", End: "17:00"}}, nil, `workingHours[0].start: ""`},
		{"start at 24:00", "UTC", []Hours{{Days: day, Start: "24:00", End: "24:00"}}, nil, `workingHours[0].start: "24:00" can only end a block`},
		{"end at 00:00", "UTC", []Hours{{Days: day, Start: "22:00", End: "00:00"}}, nil, `write "24:00" for the end of the day`},
		{"start after end", "UTC", []Hours{{Days: day, Start: "09:00", End: "17:00"}, {Days: day, Start: "17:00", End: "09:00"}}, nil, `workingHours[1]: start 17:00 must be before end 09:00`},
		{"empty block", "UTC", []Hours{{Days: day, Start: "12:00", End: "12:00"}}, nil, `workingHours[0]: start 12:00 must be before end 12:00`},
		{"bad weekday", "UTC", []Hours{{Days: []string{"Monday", "Funday"}, Start: "09:00", End: "17:00"}}, nil, `workingHours[0].days[1]: "Funday" is not a weekday`},
		{"abbreviated weekday", "UTC", []Hours{{Days: []string{"Mon"}, Start: "09:00", End: "17:00"}}, nil, `"Mon" is not a weekday`},
		{"no days", "UTC", []Hours{{Start: "09:00", End: "17:00"}}, nil, `workingHours[0].days: a block needs at least one day`},
		{"february 30", "UTC", nil, []string{"2027-01-01", "2027-02-30"}, `holidays[1]: "2027-02-30" is not a calendar date`},
		{"month 13", "UTC", nil, []string{"2027-13-01"}, `holidays[0]: "2027-13-01" is not a calendar date`},
		{"slashes", "UTC", nil, []string{"2027/01/01"}, `holidays[0]: "2027/01/01" is not a date "YYYY-MM-DD"`},
		{"two-digit year", "UTC", nil, []string{"27-01-01"}, `holidays[0]: "27-01-01" is not a date`},
		{"timestamp", "UTC", nil, []string{"2027-01-01T00:00:00Z"}, `holidays[0]: "2027-01-01T00:00:00Z" is not a date`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCalendar(tc.tz, tc.hours, tc.holidays)
			if err == nil {
				t.Fatalf("no error, calendar %+v", c)
			}
			if c != nil {
				t.Error("a calendar came back with the error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNewCalendarErrors(t *testing.T) {
	mon := []time.Weekday{time.Monday}
	cases := []struct {
		name     string
		loc      *time.Location
		blocks   []Block
		holidays []Date
		want     string
	}{
		{"nil location", nil, nil, nil, "needs a location"},
		{"no days", time.UTC, []Block{{Start: 0, End: 60}}, nil, "workingHours[0]: a block needs at least one day"},
		{"negative start", time.UTC, []Block{{Days: mon, Start: -1, End: 60}}, nil, "workingHours[0].start"},
		{"end past midnight", time.UTC, []Block{{Days: mon, Start: 0, End: MinutesPerDay + 1}}, nil, "workingHours[0].end"},
		{"start after end", time.UTC, []Block{{Days: mon, Start: 600, End: 540}}, nil, "start 10:00 must be before end 09:00"},
		{"weekday 7", time.UTC, []Block{{Days: []time.Weekday{7}, Start: 0, End: 60}}, nil, "workingHours[0].days[0]: 7 is not a weekday"},
		{"bad holiday", time.UTC, nil, []Date{{2027, 2, 29}}, "holidays[0]: 2027-02-29 is not a calendar date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCalendar(tc.loc, tc.blocks, tc.holidays)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestModes(t *testing.T) {
	for in, want := range map[string]Mode{"": BusinessHours, "BusinessHours": BusinessHours, "WallClock": WallClock} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"businesshours", "Wall", "24x7"} {
		if _, err := ParseMode(bad); err == nil || !strings.Contains(err.Error(), "is not a clock mode") {
			t.Errorf("ParseMode(%q): %v", bad, err)
		}
	}
	if _, err := NewClock(BusinessHours, nil); err == nil {
		t.Error("a business-hours clock without a calendar did not fail")
	}
	if c, err := NewClock(WallClock, nil); err != nil || c != Wall {
		t.Errorf("NewClock(WallClock, nil) = %v, %v", c, err)
	}
	if _, err := NewClock("Sundial", nil); err == nil {
		t.Error("an unknown mode did not fail")
	}
}

func TestParseHelpers(t *testing.T) {
	for in, want := range map[string]int{"00:00": 0, "09:30": 570, "23:59": 1439, "24:00": MinutesPerDay} {
		if got, err := ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if d, err := ParseDate("2028-02-29"); err != nil || d != (Date{2028, time.February, 29}) || d.String() != "2028-02-29" {
		t.Errorf("ParseDate(2028-02-29) = %v, %v", d, err)
	}
	if d, err := ParseWeekday("SUNDAY"); err != nil || d != time.Sunday {
		t.Errorf("ParseWeekday(SUNDAY) = %v, %v", d, err)
	}
}

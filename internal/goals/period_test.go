package goals

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has installed
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var testZones = []string{
	"UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "Australia/Lord_Howe",
	"America/Havana", "America/Santiago", "Asia/Kathmandu", "Pacific/Chatham",
}

func TestResolvePeriod(t *testing.T) {
	tests := []struct {
		name       string
		spec       PeriodSpec
		zone       string
		label      string
		start, end string // RFC 3339, compared as instants
		days       int
		hours      float64 // real length
		prevLabel  string
		prevStart  string
		prevEnd    string
	}{
		{
			name: "quarter Q1 UTC, previous is last year's Q4", spec: PeriodSpec{Quarter: "2027-Q1"}, zone: "UTC",
			label: "2027-Q1", start: "2027-01-01T00:00:00Z", end: "2027-04-01T00:00:00Z", days: 90, hours: 90 * 24,
			prevLabel: "2026-Q4", prevStart: "2026-10-01T00:00:00Z", prevEnd: "2027-01-01T00:00:00Z",
		},
		{
			name: "quarter Q4 New York ends at next year's start, DST ends inside", spec: PeriodSpec{Quarter: "2027-Q4"}, zone: "America/New_York",
			label: "2027-Q4", start: "2027-10-01T00:00:00-04:00", end: "2028-01-01T00:00:00-05:00", days: 92, hours: 92*24 + 1,
			prevLabel: "2027-Q3", prevStart: "2027-07-01T00:00:00-04:00", prevEnd: "2027-10-01T00:00:00-04:00",
		},
		{
			name: "quarter Q1 of a leap year in a half-hour zone", spec: PeriodSpec{Quarter: "2028-Q1"}, zone: "Asia/Kolkata",
			label: "2028-Q1", start: "2028-01-01T00:00:00+05:30", end: "2028-04-01T00:00:00+05:30", days: 91, hours: 91 * 24,
			prevLabel: "2027-Q4", prevStart: "2027-10-01T00:00:00+05:30", prevEnd: "2028-01-01T00:00:00+05:30",
		},
		{
			name: "quarter Q1 New York, DST starts inside", spec: PeriodSpec{Quarter: "2028-Q1"}, zone: "America/New_York",
			label: "2028-Q1", start: "2028-01-01T00:00:00-05:00", end: "2028-04-01T00:00:00-04:00", days: 91, hours: 91*24 - 1,
			prevLabel: "2027-Q4", prevStart: "2027-10-01T00:00:00-04:00", prevEnd: "2028-01-01T00:00:00-05:00",
		},
		{
			name: "quarter Q1 Auckland is summer time throughout", spec: PeriodSpec{Quarter: "2027-Q1"}, zone: "Pacific/Auckland",
			label: "2027-Q1", start: "2027-01-01T00:00:00+13:00", end: "2027-04-01T00:00:00+13:00", days: 90, hours: 90 * 24,
			prevLabel: "2026-Q4", prevStart: "2026-10-01T00:00:00+13:00", prevEnd: "2027-01-01T00:00:00+13:00",
		},
		{
			name: "quarter Q2 Auckland, DST ends inside (southern hemisphere)", spec: PeriodSpec{Quarter: "2027-Q2"}, zone: "Pacific/Auckland",
			label: "2027-Q2", start: "2027-04-01T00:00:00+13:00", end: "2027-07-01T00:00:00+12:00", days: 91, hours: 91*24 + 1,
			prevLabel: "2027-Q1", prevStart: "2027-01-01T00:00:00+13:00", prevEnd: "2027-04-01T00:00:00+13:00",
		},
		{
			name: "quarter Q3 previous is Q2", spec: PeriodSpec{Quarter: "2027-Q3"}, zone: "UTC",
			label: "2027-Q3", start: "2027-07-01T00:00:00Z", end: "2027-10-01T00:00:00Z", days: 92, hours: 92 * 24,
			prevLabel: "2027-Q2", prevStart: "2027-04-01T00:00:00Z", prevEnd: "2027-07-01T00:00:00Z",
		},
		{
			name: "month January, previous is last year's December", spec: PeriodSpec{Month: "2027-01"}, zone: "UTC",
			label: "2027-01", start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", days: 31, hours: 31 * 24,
			prevLabel: "2026-12", prevStart: "2026-12-01T00:00:00Z", prevEnd: "2027-01-01T00:00:00Z",
		},
		{
			name: "month January in Kolkata", spec: PeriodSpec{Month: "2027-01"}, zone: "Asia/Kolkata",
			label: "2027-01", start: "2027-01-01T00:00:00+05:30", end: "2027-02-01T00:00:00+05:30", days: 31, hours: 31 * 24,
			prevLabel: "2026-12", prevStart: "2026-12-01T00:00:00+05:30", prevEnd: "2027-01-01T00:00:00+05:30",
		},
		{
			name: "leap February", spec: PeriodSpec{Month: "2028-02"}, zone: "America/New_York",
			label: "2028-02", start: "2028-02-01T00:00:00-05:00", end: "2028-03-01T00:00:00-05:00", days: 29, hours: 29 * 24,
			prevLabel: "2028-01", prevStart: "2028-01-01T00:00:00-05:00", prevEnd: "2028-02-01T00:00:00-05:00",
		},
		{
			name: "March after a common February", spec: PeriodSpec{Month: "2027-03"}, zone: "UTC",
			label: "2027-03", start: "2027-03-01T00:00:00Z", end: "2027-04-01T00:00:00Z", days: 31, hours: 31 * 24,
			prevLabel: "2027-02", prevStart: "2027-02-01T00:00:00Z", prevEnd: "2027-03-01T00:00:00Z",
		},
		{
			name: "month with spring-forward in New York is 743 hours", spec: PeriodSpec{Month: "2028-03"}, zone: "America/New_York",
			label: "2028-03", start: "2028-03-01T00:00:00-05:00", end: "2028-04-01T00:00:00-04:00", days: 31, hours: 31*24 - 1,
			prevLabel: "2028-02", prevStart: "2028-02-01T00:00:00-05:00", prevEnd: "2028-03-01T00:00:00-05:00",
		},
		{
			name: "month with fall-back in Auckland", spec: PeriodSpec{Month: "2027-04"}, zone: "Pacific/Auckland",
			label: "2027-04", start: "2027-04-01T00:00:00+13:00", end: "2027-05-01T00:00:00+12:00", days: 30, hours: 30*24 + 1,
			prevLabel: "2027-03", prevStart: "2027-03-01T00:00:00+13:00", prevEnd: "2027-04-01T00:00:00+13:00",
		},
		{
			name: "range across 2028-02-29", spec: PeriodSpec{Range: &RangeSpec{"2028-02-27", "2028-03-01"}}, zone: "UTC",
			label: "2028-02-27..2028-03-01", start: "2028-02-27T00:00:00Z", end: "2028-03-02T00:00:00Z", days: 4, hours: 4 * 24,
			prevLabel: "2028-02-23..2028-02-26", prevStart: "2028-02-23T00:00:00Z", prevEnd: "2028-02-27T00:00:00Z",
		},
		{
			name: "range whose previous range crosses 2028-02-29", spec: PeriodSpec{Range: &RangeSpec{"2028-03-01", "2028-03-05"}}, zone: "Asia/Kolkata",
			label: "2028-03-01..2028-03-05", start: "2028-03-01T00:00:00+05:30", end: "2028-03-06T00:00:00+05:30", days: 5, hours: 5 * 24,
			prevLabel: "2028-02-25..2028-02-29", prevStart: "2028-02-25T00:00:00+05:30", prevEnd: "2028-03-01T00:00:00+05:30",
		},
		{
			name: "range across the new year", spec: PeriodSpec{Range: &RangeSpec{"2026-12-20", "2027-01-10"}}, zone: "Pacific/Auckland",
			label: "2026-12-20..2027-01-10", start: "2026-12-20T00:00:00+13:00", end: "2027-01-11T00:00:00+13:00", days: 22, hours: 22 * 24,
			prevLabel: "2026-11-28..2026-12-19", prevStart: "2026-11-28T00:00:00+13:00", prevEnd: "2026-12-20T00:00:00+13:00",
		},
		{
			name: "single-day range", spec: PeriodSpec{Range: &RangeSpec{"2027-06-15", "2027-06-15"}}, zone: "Asia/Kolkata",
			label: "2027-06-15..2027-06-15", start: "2027-06-15T00:00:00+05:30", end: "2027-06-16T00:00:00+05:30", days: 1, hours: 24,
			prevLabel: "2027-06-14..2027-06-14", prevStart: "2027-06-14T00:00:00+05:30", prevEnd: "2027-06-15T00:00:00+05:30",
		},
		{
			name: "range over a half-hour DST change (Lord Howe)", spec: PeriodSpec{Range: &RangeSpec{"2027-10-03", "2027-10-03"}}, zone: "Australia/Lord_Howe",
			label: "2027-10-03..2027-10-03", start: "2027-10-03T00:00:00+10:30", end: "2027-10-04T00:00:00+11:00", days: 1, hours: 23.5,
			prevLabel: "2027-10-02..2027-10-02", prevStart: "2027-10-02T00:00:00+10:30", prevEnd: "2027-10-03T00:00:00+10:30",
		},
		{
			name: "midnight skipped by DST (Havana): the day starts at 01:00", spec: PeriodSpec{Range: &RangeSpec{"2027-03-14", "2027-03-14"}}, zone: "America/Havana",
			label: "2027-03-14..2027-03-14", start: "2027-03-14T01:00:00-04:00", end: "2027-03-15T00:00:00-04:00", days: 1, hours: 23,
			prevLabel: "2027-03-13..2027-03-13", prevStart: "2027-03-13T00:00:00-05:00", prevEnd: "2027-03-14T01:00:00-04:00",
		},
		{
			name: "midnight twice (Havana fall-back at 01:00): the first counts", spec: PeriodSpec{Range: &RangeSpec{"2027-11-07", "2027-11-07"}}, zone: "America/Havana",
			label: "2027-11-07..2027-11-07", start: "2027-11-07T00:00:00-04:00", end: "2027-11-08T00:00:00-05:00", days: 1, hours: 25,
			prevLabel: "2027-11-06..2027-11-06", prevStart: "2027-11-06T00:00:00-04:00", prevEnd: "2027-11-07T00:00:00-04:00",
		},
		{
			name: "midnight skipped by DST (Santiago month)", spec: PeriodSpec{Month: "2027-09"}, zone: "America/Santiago",
			label: "2027-09", start: "2027-09-01T00:00:00-04:00", end: "2027-10-01T00:00:00-03:00", days: 30, hours: 30*24 - 1,
			prevLabel: "2027-08", prevStart: "2027-08-01T00:00:00-04:00", prevEnd: "2027-09-01T00:00:00-04:00",
		},
		{
			name: "Santiago range starting on the skipped midnight", spec: PeriodSpec{Range: &RangeSpec{"2027-09-05", "2027-09-06"}}, zone: "America/Santiago",
			label: "2027-09-05..2027-09-06", start: "2027-09-05T01:00:00-03:00", end: "2027-09-07T00:00:00-03:00", days: 2, hours: 47,
			prevLabel: "2027-09-03..2027-09-04", prevStart: "2027-09-03T00:00:00-04:00", prevEnd: "2027-09-05T01:00:00-03:00",
		},
		{
			name: "quarter in a +12:45 zone (Chatham)", spec: PeriodSpec{Quarter: "2027-Q3"}, zone: "Pacific/Chatham",
			label: "2027-Q3", start: "2027-07-01T00:00:00+12:45", end: "2027-10-01T00:00:00+13:45", days: 92, hours: 92*24 - 1,
			prevLabel: "2027-Q2", prevStart: "2027-04-01T00:00:00+13:45", prevEnd: "2027-07-01T00:00:00+12:45",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			p, err := ResolvePeriod(tc.spec, loc)
			if err != nil {
				t.Fatal(err)
			}
			checkPeriod(t, "period", p, tc.label, tc.start, tc.end)
			if p.Days() != tc.days {
				t.Errorf("Days() = %d, want %d", p.Days(), tc.days)
			}
			if got := p.Seconds() / 3600; got != tc.hours {
				t.Errorf("length = %vh, want %vh", got, tc.hours)
			}
			if p.Location() != loc {
				t.Errorf("Location() = %v, want %v", p.Location(), loc)
			}
			prev := p.Previous()
			checkPeriod(t, "previous", prev, tc.prevLabel, tc.prevStart, tc.prevEnd)
			if prev.Kind != p.Kind {
				t.Errorf("previous kind %s, want %s", prev.Kind, p.Kind)
			}
			if p.Kind == PeriodRange && prev.Days() != p.Days() {
				t.Errorf("previous range has %d days, want %d", prev.Days(), p.Days())
			}
		})
	}
}

func checkPeriod(t *testing.T, what string, p Period, label, start, end string) {
	t.Helper()
	if p.Label() != label {
		t.Errorf("%s label %q, want %q", what, p.Label(), label)
	}
	if want := mustTime(t, start); !p.Start.Equal(want) {
		t.Errorf("%s start %s, want %s", what, p.Start, want)
	}
	if want := mustTime(t, end); !p.End.Equal(want) {
		t.Errorf("%s end %s, want %s", what, p.End, want)
	}
}

func TestResolvePeriodErrors(t *testing.T) {
	tests := []struct {
		name  string
		spec  PeriodSpec
		field string
	}{
		{"nothing set", PeriodSpec{}, "period"},
		{"quarter and month", PeriodSpec{Quarter: "2027-Q1", Month: "2027-01"}, "period"},
		{"all three", PeriodSpec{Quarter: "2027-Q1", Month: "2027-01", Range: &RangeSpec{"2027-01-01", "2027-01-02"}}, "period"},
		{"Q5", PeriodSpec{Quarter: "2027-Q5"}, "period.quarter"},
		{"Q0", PeriodSpec{Quarter: "2027-Q0"}, "period.quarter"},
		{"lower-case q", PeriodSpec{Quarter: "2027-q1"}, "period.quarter"},
		{"no dash", PeriodSpec{Quarter: "2027Q1"}, "period.quarter"},
		{"two-digit year", PeriodSpec{Quarter: "27-Q1"}, "period.quarter"},
		{"leading space", PeriodSpec{Quarter: " 2027-Q1"}, "period.quarter"},
		{"quarter year 0", PeriodSpec{Quarter: "0000-Q1"}, "period.quarter"},
		{"quarter with suffix", PeriodSpec{Quarter: "2027-Q12"}, "period.quarter"},
		{"month 13", PeriodSpec{Month: "2027-13"}, "period.month"},
		{"month 00", PeriodSpec{Month: "2027-00"}, "period.month"},
		{"one-digit month", PeriodSpec{Month: "2027-1"}, "period.month"},
		{"slash", PeriodSpec{Month: "2027/01"}, "period.month"},
		{"month as a date", PeriodSpec{Month: "2027-01-01"}, "period.month"},
		{"month year 0", PeriodSpec{Month: "0000-01"}, "period.month"},
		{"signed month", PeriodSpec{Month: "2027-+1"}, "period.month"},
		{"29 February of a common year", PeriodSpec{Range: &RangeSpec{"2027-02-29", "2027-03-01"}}, "period.range.start"},
		{"31 April", PeriodSpec{Range: &RangeSpec{"2027-04-01", "2027-04-31"}}, "period.range.end"},
		{"short date", PeriodSpec{Range: &RangeSpec{"2027-1-01", "2027-01-31"}}, "period.range.start"},
		{"empty start", PeriodSpec{Range: &RangeSpec{"", "2027-01-31"}}, "period.range.start"},
		{"date with time", PeriodSpec{Range: &RangeSpec{"2027-01-01", "2027-01-31T00:00"}}, "period.range.end"},
		{"end before start", PeriodSpec{Range: &RangeSpec{"2027-02-01", "2027-01-31"}}, "period.range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ResolvePeriod(tc.spec, time.UTC)
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SpecError", err)
			}
			if se.Path != tc.field {
				t.Errorf("field %q, want %q (%v)", se.Path, tc.field, err)
			}
			if se.Message == "" {
				t.Error("empty message")
			}
		})
	}
	if _, err := ResolvePeriod(PeriodSpec{Quarter: "2027-Q1"}, nil); !errors.Is(err, ErrNoLocation) {
		t.Errorf("nil location: %v, want ErrNoLocation", err)
	}
}

func TestParseDateMessages(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2027-02-29", `"2027-02-29": February 2027 has 28 days`},
		{"2027-13-01", `"2027-13-01": month must be 01 to 12`},
		{"0000-01-01", `"0000-01-01": year must be 0001 to 9999`},
		{"27-01-01", `"27-01-01" is not a date like "2027-01-31"`},
	}
	for _, tc := range tests {
		if _, err := ParseDate(tc.in); err == nil || err.Error() != tc.want {
			t.Errorf("ParseDate(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	if d, err := ParseDate("2028-02-29"); err != nil || d != (Date{2028, time.February, 29}) || d.String() != "2028-02-29" {
		t.Errorf("ParseDate(2028-02-29) = %v, %v", d, err)
	}
}

// Every day of 2026-2029 in zones with DST at midnight, half-hour DST and odd offsets: the day starts
// on its own date, the instant before it is on an earlier date, days tile and are 22.5 to 25.5 hours.
func TestStartOfDayProperties(t *testing.T) {
	for _, zone := range testZones {
		loc := mustLoc(t, zone)
		d := Date{2026, time.January, 1}
		prevStart := StartOfDay(d.AddDays(-1), loc)
		for ; d.Year < 2030; d = d.AddDays(1) {
			s := StartOfDay(d, loc)
			if got := dateOf(s); got != d {
				t.Fatalf("%s: StartOfDay(%s) = %s, on %s", zone, d, s, got)
			}
			if got := dateOf(s.Add(-time.Nanosecond)); !got.Before(d) {
				t.Fatalf("%s: the instant before StartOfDay(%s) = %s is on %s", zone, d, s, got)
			}
			if h := s.Sub(prevStart).Hours(); h < 22.5 || h > 25.5 {
				t.Fatalf("%s: day before %s is %vh long", zone, d, h)
			}
			prevStart = s
		}
	}
}

// Quarters and months of 2026-2029 in every test zone tile time: each period's previous ends where it
// starts, a quarter is its three months, labels resolve back to the same period, and the interval is
// half-open.
func TestPeriodProperties(t *testing.T) {
	for _, zone := range testZones {
		loc := mustLoc(t, zone)
		for y := 2026; y <= 2029; y++ {
			for q := 1; q <= 4; q++ {
				p := quarter(y, q, loc)
				if !p.Previous().End.Equal(p.Start) {
					t.Errorf("%s %s: previous ends %s, period starts %s", zone, p, p.Previous().End, p.Start)
				}
				m1 := month(y, time.Month(3*q-2), loc)
				m3 := month(y, time.Month(3*q), loc)
				if !m1.Start.Equal(p.Start) || !m3.End.Equal(p.End) {
					t.Errorf("%s %s is not its months %s..%s", zone, p, m1, m3)
				}
				if m1.Previous().Label() != m1.Start.Add(-time.Nanosecond).In(loc).Format("2006-01") {
					t.Errorf("%s: %s previous is %s", zone, m1, m1.Previous())
				}
				back, err := ResolvePeriod(PeriodSpec{Quarter: p.Label()}, loc)
				if err != nil || back != p {
					t.Errorf("%s: %s does not resolve back: %v %v", zone, p, back, err)
				}
				if !p.Contains(p.Start) || p.Contains(p.End) || !p.Contains(p.End.Add(-time.Nanosecond)) || p.Contains(p.Start.Add(-time.Nanosecond)) {
					t.Errorf("%s %s: not half-open", zone, p)
				}
			}
		}
		r, err := ResolvePeriod(PeriodSpec{Range: &RangeSpec{"2028-02-10", "2028-03-20"}}, loc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ResolvePeriod(PeriodSpec{Range: &RangeSpec{r.First.String(), r.Last.String()}}, loc)
		if err != nil || back != r {
			t.Errorf("%s: range does not resolve back", zone)
		}
		for i, prev := 0, r; i < 20; i++ {
			pp := prev.Previous()
			if !pp.End.Equal(prev.Start) || pp.Days() != r.Days() {
				t.Errorf("%s: range %s previous %s does not tile", zone, prev, pp)
			}
			prev = pp
		}
	}
}

func TestElapsedShare(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	utcQ1, _ := ResolvePeriod(PeriodSpec{Quarter: "2027-Q1"}, time.UTC) // 90 days
	nyMarch, _ := ResolvePeriod(PeriodSpec{Month: "2028-03"}, ny)       // 743 hours
	day, _ := ResolvePeriod(PeriodSpec{Range: &RangeSpec{"2027-05-01", "2027-05-01"}}, mustLoc(t, "Asia/Kolkata"))
	tests := []struct {
		name string
		p    Period
		now  string
		want float64
	}{
		{"long before", utcQ1, "2026-06-01T00:00:00Z", 0},
		{"just before start", utcQ1, "2026-12-31T23:59:59Z", 0},
		{"at start", utcQ1, "2027-01-01T00:00:00Z", 0},
		{"a tenth in", utcQ1, "2027-01-10T00:00:00Z", 0.1},
		{"middle", utcQ1, "2027-02-15T00:00:00Z", 0.5},
		{"at end", utcQ1, "2027-04-01T00:00:00Z", 1},
		{"after end", utcQ1, "2028-01-01T00:00:00Z", 1},
		{"DST month: real hours, not wall hours", nyMarch, "2028-03-16T12:30:00-04:00", 371.5 / 743},
		{"quarter of a Kolkata day", day, "2027-05-01T06:00:00+05:30", 0.25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.ElapsedShare(mustTime(t, tc.now)); !near(got, tc.want) {
				t.Errorf("ElapsedShare = %v, want %v", got, tc.want)
			}
		})
	}
	if got := utcQ1.ElapsedShare(utcQ1.End.Add(-time.Nanosecond)); got >= 1 || got < 0.999999 {
		t.Errorf("a nanosecond before the end: %v", got)
	}
	// Monotone and within [0, 1], hour by hour through a DST quarter.
	q, _ := ResolvePeriod(PeriodSpec{Quarter: "2027-Q4"}, ny)
	last := -1.0
	for now := q.Start.Add(-48 * time.Hour); now.Before(q.End.Add(48 * time.Hour)); now = now.Add(37 * time.Minute) {
		s := q.ElapsedShare(now)
		if s < last || s < 0 || s > 1 {
			t.Fatalf("ElapsedShare(%s) = %v after %v", now, s, last)
		}
		last = s
	}
}

func TestPaceFromAndNextEvaluation(t *testing.T) {
	q, _ := ResolvePeriod(PeriodSpec{Quarter: "2027-Q1"}, time.UTC)
	day, _ := ResolvePeriod(PeriodSpec{Range: &RangeSpec{"2027-05-01", "2027-05-01"}}, time.UTC)
	if got, want := q.PaceFrom(), mustTime(t, "2027-01-02T00:00:00Z"); !got.Equal(want) {
		t.Errorf("quarter PaceFrom = %s, want %s", got, want)
	}
	if got, want := day.PaceFrom(), mustTime(t, "2027-05-01T02:24:00Z"); !got.Equal(want) {
		t.Errorf("one-day PaceFrom = %s, want %s", got, want)
	}
	tests := []struct {
		name      string
		p         Period
		now, want string // want "" is the zero time
	}{
		{"long before start: the start", q, "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"a second before start: the start", q, "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
		{"at start: an hour later", q, "2027-01-01T00:00:00Z", "2027-01-01T01:00:00Z"},
		{"half an hour before pace is judged: then", q, "2027-01-01T23:30:00Z", "2027-01-02T00:00:00Z"},
		{"mid-period: an hour later", q, "2027-02-15T10:17:00Z", "2027-02-15T11:17:00Z"},
		{"40 minutes before the end: the end", q, "2027-03-31T23:20:00Z", "2027-04-01T00:00:00Z"},
		{"a nanosecond before the end: the end", q, "2027-03-31T23:59:59.999999999Z", "2027-04-01T00:00:00Z"},
		{"at the end: never", q, "2027-04-01T00:00:00Z", ""},
		{"after the end: never", q, "2027-06-01T00:00:00Z", ""},
		{"short period before pace: pace", day, "2027-05-01T02:00:00Z", "2027-05-01T02:24:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NextEvaluation(tc.p, mustTime(t, tc.now))
			if tc.want == "" {
				if !got.IsZero() {
					t.Errorf("NextEvaluation = %s, want zero", got)
				}
				return
			}
			if want := mustTime(t, tc.want); !got.Equal(want) {
				t.Errorf("NextEvaluation = %s, want %s", got, want)
			}
		})
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-12*max(1, abs(a), abs(b))
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

package goals

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/fielderr"
)

var fuzzZones = func() []*time.Location {
	locs := []*time.Location{time.UTC, time.FixedZone("UTC-09:30", -(9*3600 + 30*60))}
	for _, tz := range []string{"America/New_York", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Pacific/Apia"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			panic(err)
		}
		locs = append(locs, loc)
	}
	return locs
}()

// FuzzResolvePeriod resolves arbitrary period specs in timezones with unusual clock changes and checks
// what the goal reconciler relies on: a refusal is a field error under "period"; an accepted period
// is a non-empty [Start, End) that starts at its first day and ends at the day after its last, its
// label resolves to the same period again, and the previous period ends exactly where it starts.
func FuzzResolvePeriod(f *testing.F) {
	f.Add(uint8(0), "2027-Q1", "", "", "", false)
	f.Add(uint8(2), "", "2027-03", "", "", false)
	f.Add(uint8(4), "", "", "2027-09-05", "2027-09-05", true)
	f.Add(uint8(6), "", "", "2011-12-29", "2011-12-31", true) // Samoa skipped 2011-12-30
	f.Add(uint8(1), "0001-Q1", "", "", "", false)
	f.Add(uint8(3), "", "9999-12", "", "", false)
	f.Add(uint8(5), "2027-Q5", "2027-13", "2027-02-29", "2027-02-28", true)
	f.Add(uint8(0), "", "", "2028-02-29", "2027-02-28", true)
	f.Add(uint8(0), "2027-q1", "", "", "", false)
	f.Add(uint8(0), "", "", "", "", false)
	f.Fuzz(func(t *testing.T, zone uint8, quarter, month, start, end string, withRange bool) {
		loc := fuzzZones[int(zone)%len(fuzzZones)]
		spec := PeriodSpec{Quarter: quarter, Month: month}
		if withRange {
			spec.Range = &RangeSpec{Start: start, End: end}
		}
		p, err := ResolvePeriod(spec, loc)
		if err != nil {
			var fe *fielderr.Error
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Path, "period") || fe.Message == "" {
				t.Fatalf("ResolvePeriod(%+v): %v is not a field error under period", spec, err)
			}
			return
		}
		if !p.Start.Before(p.End) {
			t.Fatalf("%s: empty period [%s, %s)", p, p.Start, p.End)
		}
		if !p.Contains(p.Start) || p.Contains(p.End) || p.Contains(p.Start.Add(-1)) {
			t.Fatalf("%s: Contains disagrees with [%s, %s)", p, p.Start, p.End)
		}
		if p.Last.Before(p.First) || p.Days() < 1 {
			t.Fatalf("%s: %d days from %s to %s", p, p.Days(), p.First, p.Last)
		}
		if !p.Start.Equal(StartOfDay(p.First, loc)) || !p.End.Equal(StartOfDay(p.Last.AddDays(1), loc)) {
			t.Fatalf("%s: [%s, %s) is not from the start of %s to the start of the day after %s", p, p.Start, p.End, p.First, p.Last)
		}
		if s := p.Start.In(loc); dateOf(s) != p.First || s.Hour() > 1 {
			t.Fatalf("%s: starts at %s, not early on %s", p, s, p.First)
		}
		// The label resolves to the same period.
		again := PeriodSpec{}
		switch p.Kind {
		case PeriodQuarter:
			again.Quarter = p.Label()
		case PeriodMonth:
			again.Month = p.Label()
		default:
			a, b, _ := strings.Cut(p.Label(), "..")
			again.Range = &RangeSpec{Start: a, End: b}
		}
		q, err := ResolvePeriod(again, loc)
		if err != nil || q.First != p.First || q.Last != p.Last || !q.Start.Equal(p.Start) || !q.End.Equal(p.End) || q.Kind != p.Kind {
			t.Fatalf("%s: its label resolves to %s, %v", p, q, err)
		}
		if prev := p.Previous(); !prev.End.Equal(p.Start) || prev.Kind != p.Kind || prev.Last.AddDays(1) != p.First {
			t.Fatalf("%s: previous period %s ends at %s (last day %s), not at its start %s", p, prev, prev.End, prev.Last, p.Start)
		}
		for _, share := range []time.Time{p.Start, p.End, p.PaceFrom(), NextEvaluation(p, p.Start)} {
			if e := p.ElapsedShare(share); e < 0 || e > 1 {
				t.Fatalf("%s: elapsed share %v at %s", p, e, share)
			}
		}
	})
}

package slaclock

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestRoundTrip checks, over many random starts and durations with a fixed seed, that Deadline and
// Elapsed agree: the deadline is the first instant at which exactly d of business time has elapsed.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	cals := testCalendars(t)
	names := make([]string, 0, len(cals))
	for name := range cals {
		names = append(names, name)
	}
	sort.Strings(names)
	lo := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2028, 12, 31, 0, 0, 0, 0, time.UTC).UnixNano()
	checks := 0
	for _, name := range names {
		cal := cals[name]
		for i := 0; i < 400; i++ {
			start := time.Unix(0, lo+rng.Int64N(hi-lo)).In(cal.Location())
			if i%4 == 0 {
				start = start.Truncate(time.Hour) // often exactly on a block boundary
			}
			var d time.Duration
			switch i % 3 {
			case 0:
				d = time.Duration(1 + rng.Int64N(int64(300*time.Hour)))
			case 1:
				d = time.Duration(1+rng.Int64N(60*60)) * time.Minute
			default:
				d = time.Duration(1+rng.Int64N(12)) * time.Hour
			}
			dl, err := cal.Deadline(start, d)
			if err != nil {
				t.Fatalf("%s: Deadline(%s, %s): %v", name, start, d, err)
			}
			if !dl.After(start) {
				t.Fatalf("%s: Deadline(%s, %s) = %s is not after the start", name, start, d, dl)
			}
			if e := cal.Elapsed(start, dl); e != d {
				t.Fatalf("%s: Elapsed(%s, Deadline = %s) = %s, want %s", name, start, dl, e, d)
			}
			if e := cal.Elapsed(start, dl.Add(-1)); e != d-1 {
				t.Fatalf("%s: Elapsed(%s, %s - 1ns) = %s, want %s: the deadline is not the first such instant", name, start, dl, e, d-1)
			}
			// Deadlines compose: the rest of an SLA measured from its warning time ends at the deadline.
			a := time.Duration(rng.Int64N(int64(d)))
			mid, err := cal.Deadline(start, a)
			if err != nil {
				t.Fatal(err)
			}
			if end, err := cal.Deadline(mid, d-a); err != nil || !end.Equal(dl) {
				t.Fatalf("%s: Deadline(Deadline(%s, %s), %s) = %s, %v; want %s", name, start, a, d-a, end, err, dl)
			}
			// Elapsed is additive.
			if e1, e2 := cal.Elapsed(start, mid), cal.Elapsed(mid, dl); e1+e2 != d {
				t.Fatalf("%s: Elapsed split at %s: %s + %s != %s", name, mid, e1, e2, d)
			}
			// And the other way round: an arbitrary span's business time is reached no later than its end.
			to := start.Add(time.Duration(rng.Int64N(int64(500 * time.Hour))))
			e := cal.Elapsed(start, to)
			back, err := cal.Deadline(start, e)
			if err != nil || back.After(to) || cal.Elapsed(start, back) != e {
				t.Fatalf("%s: Deadline(%s, Elapsed(.., %s) = %s) = %s, %v", name, start, to, e, back, err)
			}
			checks++
		}
	}
	t.Logf("%d random round trips over %d calendars", checks, len(names))
}

// oracle is an independent, brute-force model of the DST rule for one timezone: it reads the wall clock
// of every real minute of a window and answers "the first minute at which the wall clock shows w or
// later" by search, without the zone arithmetic of the package.
type oracle struct {
	loc    *time.Location
	base   int64   // unix seconds of minute 0
	maxRun []int64 // running maximum of the wall clock (seconds) at each minute
}

func newOracle(loc *time.Location, from, to time.Time) *oracle {
	o := &oracle{loc: loc, base: from.Unix() - from.Unix()%60}
	n := int((to.Unix()-o.base)/60) + 1
	o.maxRun = make([]int64, n)
	var m int64
	for i := range o.maxRun {
		u := o.base + int64(i)*60
		_, off := time.Unix(u, 0).In(loc).Zone()
		w := u + int64(off)
		if i == 0 || w > m {
			m = w
		}
		o.maxRun[i] = m
	}
	return o
}

// first is the minute index at which the wall clock first shows naive or later.
func (o *oracle) first(naive int64) int {
	return sort.Search(len(o.maxRun), func(i int) bool { return o.maxRun[i] >= naive })
}

// workingMinutes marks the working minutes of a calendar given as raw blocks and holidays, and returns
// prefix sums: p[j]-p[i] is the number of working minutes in [i, j).
func (o *oracle) workingMinutes(blocks []Block, holidays map[Date]bool) []int32 {
	work := make([]bool, len(o.maxRun))
	firstDay := o.maxRun[0]/secondsPerDay - 2
	lastDay := o.maxRun[len(o.maxRun)-1]/secondsPerDay + 2
	for day := firstDay; day <= lastDay; day++ {
		civil := time.Unix(day*secondsPerDay, 0).UTC()
		if holidays[Date{civil.Year(), civil.Month(), civil.Day()}] {
			continue
		}
		for _, b := range blocks {
			for _, wd := range b.Days {
				if wd != civil.Weekday() {
					continue
				}
				s := o.first(day*secondsPerDay + int64(b.Start)*60)
				e := o.first(day*secondsPerDay + int64(b.End)*60)
				for i := s; i < e; i++ {
					work[i] = true
				}
			}
		}
	}
	p := make([]int32, len(work)+1)
	for i, w := range work {
		p[i+1] = p[i]
		if w {
			p[i+1]++
		}
	}
	return p
}

// TestAgainstOracle compares Deadline and Elapsed with the brute-force oracle on random calendars
// (random blocks, often around the hours the clocks change, and random holidays) through every 2027
// clock change of four timezones.
func TestAgainstOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(2027, 3))
	checked := 0
	// New York and Berlin are the zones the product names; Santiago changes its clocks at midnight and
	// Lord Howe Island by half an hour, which stresses the rule harder.
	for _, tz := range []string{"America/New_York", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		changes := changesIn2027(loc)
		if len(changes) != 2 {
			t.Fatalf("%s: %d clock changes in 2027, want 2", tz, len(changes))
		}
		for _, change := range changes {
			w := [2]time.Time{change.AddDate(0, 0, -20).Truncate(24 * time.Hour), change.AddDate(0, 0, 18).Truncate(24 * time.Hour)}
			o := newOracle(loc, w[0], w[1])
			for c := 0; c < 60; c++ {
				blocks := randomBlocks(rng)
				holidays := map[Date]bool{}
				var hl []Date
				for h := rng.IntN(4); h > 0; h-- {
					d := w[0].AddDate(0, 0, rng.IntN(36))
					hd := Date{d.Year(), d.Month(), d.Day()}
					holidays[hd] = true
					hl = append(hl, hd)
				}
				cal, err := NewCalendar(loc, blocks, hl)
				if err != nil {
					t.Fatal(err)
				}
				p := o.workingMinutes(blocks, holidays)
				minutes := len(p) - 1
				for k := 0; k < 40; k++ {
					i := rng.IntN(minutes * 2 / 3)
					start := time.Unix(o.base+int64(i)*60, 0).In(loc)
					d := rng.IntN(3 * 24 * 60)
					// The oracle's deadline: the first minute j with p[j]-p[i] == d.
					j := i
					if d > 0 {
						j = i + sort.Search(minutes-i+1, func(x int) bool { return int(p[i+x]-p[i]) >= d })
						if j > minutes {
							continue // beyond the window
						}
					}
					want := time.Unix(o.base+int64(j)*60, 0)
					got, err := cal.Deadline(start, time.Duration(d)*time.Minute)
					if err != nil {
						t.Fatal(err)
					}
					if !got.Equal(want) {
						t.Fatalf("%s %v holidays %v: Deadline(%s, %dm) = %s, oracle %s",
							tz, blocks, hl, start, d, got, want.In(loc))
					}
					// Elapsed between two random minutes.
					j2 := i + rng.IntN(minutes-i+1)
					to := time.Unix(o.base+int64(j2)*60, 0)
					if e, want := cal.Elapsed(start, to), time.Duration(p[j2]-p[i])*time.Minute; e != want {
						t.Fatalf("%s %v holidays %v: Elapsed(%s, %s) = %s, oracle %s",
							tz, blocks, hl, start, to.In(loc), e, want)
					}
					checked++
				}
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d comparisons with the oracle", checked)
	}
	t.Logf("%d comparisons with the brute-force oracle", checked)
}

// changesIn2027 lists the instants at which loc changes its UTC offset in 2027. It only picks the
// windows the oracle looks at; the oracle itself does not use it.
func changesIn2027(loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > 2027 {
			return out
		}
		out = append(out, end)
		t = end
	}
}

// randomBlocks draws one to three blocks on random days, with quarter-hour boundaries that half the
// time fall between 00:00 and 04:00, where the clocks change.
func randomBlocks(rng *rand.Rand) []Block {
	var blocks []Block
	for n := 1 + rng.IntN(3); n > 0; n-- {
		var b Block
		for d := time.Sunday; d <= time.Saturday; d++ {
			if rng.IntN(2) == 0 {
				b.Days = append(b.Days, d)
			}
		}
		if len(b.Days) == 0 {
			b.Days = []time.Weekday{time.Sunday}
		}
		quarters := 96
		if rng.IntN(2) == 0 {
			quarters = 16
		}
		s := rng.IntN(quarters)
		e := s + 1 + rng.IntN(96-s)
		if quarters == 16 && e > 17 {
			e = 17
		}
		b.Start, b.End = s*15, e*15
		blocks = append(blocks, b)
	}
	return blocks
}

package slaclock

import (
	"encoding/binary"
	"sort"
	"testing"
	"time"
)

// fuzzZones are the timezones FuzzDeadlineElapsed picks from: UTC, a fixed offset, the zones the
// product names, and two whose clock changes are unusual (at midnight, by half an hour).
var fuzzZones = func() []*time.Location {
	locs := []*time.Location{time.UTC, time.FixedZone("UTC+05:45", 5*3600+45*60)}
	for _, tz := range []string{"America/New_York", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			panic(err)
		}
		locs = append(locs, loc)
	}
	return locs
}()

// fuzzWindowDays is how many days after the start the minute model covers.
const fuzzWindowDays = 24

// fuzzBlocks decodes up to three working blocks from raw bytes, five per block: a weekday mask and
// the start and end minute of the day.
func fuzzBlocks(raw []byte) []Block {
	var blocks []Block
	for len(raw) >= 5 && len(blocks) < 3 {
		var b Block
		for d := time.Sunday; d <= time.Saturday; d++ {
			if raw[0]&(1<<d) != 0 {
				b.Days = append(b.Days, d)
			}
		}
		if len(b.Days) == 0 {
			b.Days = []time.Weekday{time.Weekday(raw[0] % 7)}
		}
		b.Start = int(binary.BigEndian.Uint16(raw[1:3])) % MinutesPerDay
		b.End = b.Start + 1 + int(binary.BigEndian.Uint16(raw[3:5]))%(MinutesPerDay-b.Start)
		blocks = append(blocks, b)
		raw = raw[5:]
	}
	return blocks
}

// FuzzDeadlineElapsed checks Deadline and Elapsed against the brute-force minute model of
// property_test.go (the oracle reads the wall clock of every real minute) on fuzzed calendars, starts,
// durations and timezones, through 2026–2028 with their clock changes; and the nanosecond round trip:
// Elapsed(start, Deadline(start, d)) == d, and the deadline is the first such instant.
func FuzzDeadlineElapsed(f *testing.F) {
	weekdays := []byte{0x3e, 0, 0, 0, 0} // Monday to Friday …
	binary.BigEndian.PutUint16(weekdays[1:], 9*60)
	binary.BigEndian.PutUint16(weekdays[3:], 8*60-1) // … 09:00 to 17:00
	f.Add(uint8(2), uint32(0), uint16(60), uint32(0), uint32(1000), weekdays, []byte{3})
	f.Add(uint8(3), uint32(120*24*60+90), uint16(4*60), uint32(4_000_000_000), uint32(5000), []byte{0x7f, 0, 0, 0, 59, 0x41, 0, 120, 0, 30}, []byte{})
	f.Add(uint8(4), uint32(250*24*60), uint16(3*24*60-1), uint32(1), uint32(20000), []byte{0x01, 0, 0, 5, 159}, []byte{0, 1, 2})
	f.Add(uint8(5), uint32(270*24*60+100), uint16(77), uint32(7), uint32(30000), []byte{0x7f, 0, 60, 0, 60}, []byte{})
	f.Add(uint8(1), uint32(700*24*60), uint16(0), uint32(0), uint32(0), []byte{0x80, 5, 159, 0, 0}, []byte{9, 9})
	f.Fuzz(func(t *testing.T, zone uint8, startMin uint32, durMin uint16, extraNs uint32, toMin uint32, rawBlocks, rawHolidays []byte) {
		loc := fuzzZones[int(zone)%len(fuzzZones)]
		blocks := fuzzBlocks(rawBlocks)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		start := base.Add(time.Duration(startMin%(3*365*24*60)) * time.Minute)
		from := start.AddDate(0, 0, -2).Truncate(24 * time.Hour)
		o := newOracle(loc, from, start.AddDate(0, 0, fuzzWindowDays))
		holidays := map[Date]bool{}
		var hl []Date
		for _, h := range rawHolidays {
			d := from.AddDate(0, 0, int(h)%(fuzzWindowDays+2))
			hd := Date{d.Year(), d.Month(), d.Day()}
			holidays[hd] = true
			hl = append(hl, hd)
		}
		cal, err := NewCalendar(loc, blocks, hl)
		if err != nil {
			t.Fatalf("NewCalendar(%v): %v", blocks, err)
		}
		if len(blocks) == 0 {
			if _, err := cal.Deadline(start, time.Minute); err == nil {
				t.Fatal("a calendar without working time gave a deadline")
			}
			return
		}
		p := o.workingMinutes(blocks, holidays)
		minutes := len(p) - 1
		i := int((start.Unix() - o.base) / 60)
		d := int(durMin) % (3 * 24 * 60)
		j := i
		if d > 0 {
			j = i + sort.Search(minutes-i+1, func(x int) bool { return int(p[i+x]-p[i]) >= d })
		}
		if j <= minutes {
			want := time.Unix(o.base+int64(j)*60, 0)
			got, err := cal.Deadline(start.In(loc), time.Duration(d)*time.Minute)
			if err != nil || !got.Equal(want) {
				t.Fatalf("%s %v holidays %v: Deadline(%s, %dm) = %s, %v; minute model %s",
					loc, blocks, hl, start.In(loc), d, got, err, want.In(loc))
			}
		}
		j2 := i + int(toMin)%(minutes-i+1)
		to := time.Unix(o.base+int64(j2)*60, 0)
		if e, want := cal.Elapsed(start, to), time.Duration(p[j2]-p[i])*time.Minute; e != want {
			t.Fatalf("%s %v holidays %v: Elapsed(%s, %s) = %s, minute model %s",
				loc, blocks, hl, start.In(loc), to.In(loc), e, want)
		}

		// The nanosecond round trip, from a start off the minute grid.
		s2 := start.Add(time.Duration(extraNs) * 997)
		dn := time.Duration(d)*time.Minute + time.Duration(extraNs)
		if dn == 0 {
			return
		}
		dl, err := cal.Deadline(s2, dn)
		if err != nil {
			t.Fatalf("%s %v: Deadline(%s, %s): %v", loc, blocks, s2, dn, err)
		}
		if !dl.After(s2) {
			t.Fatalf("%s %v: Deadline(%s, %s) = %s is not after the start", loc, blocks, s2, dn, dl)
		}
		if e := cal.Elapsed(s2, dl); e != dn {
			t.Fatalf("%s %v: Elapsed(%s, Deadline = %s) = %s, want %s", loc, blocks, s2, dl, e, dn)
		}
		if e := cal.Elapsed(s2, dl.Add(-1)); e != dn-1 {
			t.Fatalf("%s %v: Elapsed(%s, %s - 1ns) = %s, want %s", loc, blocks, s2, dl, e, dn-1)
		}
	})
}

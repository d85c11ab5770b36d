package slaclock

import (
	"testing"
	"time"
)

// benchCalendar is a typical team: New York, Monday–Friday 09:00–17:00, a few holidays.
func benchCalendar(b *testing.B) *Calendar {
	b.Helper()
	c, err := ParseCalendar("America/New_York", nil, []string{"2027-01-01", "2027-01-18", "2027-05-31", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchDeadline(b *testing.B, start time.Time, d time.Duration) {
	cal := benchCalendar(b)
	b.ReportAllocs()
	var sink time.Time
	for b.Loop() {
		dl, err := cal.Deadline(start, d)
		if err != nil {
			b.Fatal(err)
		}
		sink = dl
	}
	_ = sink
}

// A 1h SLA started on a Friday afternoon: it runs over the weekend.
func BenchmarkDeadline1h(b *testing.B) {
	benchDeadline(b, time.Date(2027, 2, 5, 21, 30, 0, 0, time.UTC), time.Hour)
}

// A 40h SLA: a full working week, started mid-morning on a Tuesday.
func BenchmarkDeadline40h(b *testing.B) {
	benchDeadline(b, time.Date(2027, 2, 2, 15, 0, 0, 0, time.UTC), 40*time.Hour)
}

// A 40h SLA over the spring-forward weekend (the days around the change take the exact path).
func BenchmarkDeadline40hDST(b *testing.B) {
	benchDeadline(b, time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC), 40*time.Hour)
}

// A 2000h SLA: about a year of working weeks, stepped over a week at a time.
func BenchmarkDeadline2000h(b *testing.B) {
	benchDeadline(b, time.Date(2027, 1, 5, 15, 0, 0, 0, time.UTC), 2000*time.Hour)
}

func BenchmarkSchedule4hWarn1h(b *testing.B) {
	cal := benchCalendar(b)
	start := time.Date(2027, 2, 5, 21, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Schedule(cal, start, 4*time.Hour, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkElapsedWeek(b *testing.B) {
	cal := benchCalendar(b)
	from := time.Date(2027, 2, 2, 15, 0, 0, 0, time.UTC)
	to := from.Add(7 * 24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if cal.Elapsed(from, to) != 40*time.Hour {
			b.Fatal("wrong")
		}
	}
}

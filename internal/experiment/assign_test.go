package experiment

import (
	"fmt"
	"testing"
	"time"
)

func TestSplitArmMatchesWeights(t *testing.T) {
	cases := []struct {
		name    string
		weights []int32
	}{
		{"even", []int32{1, 1}},
		{"70/30", []int32{70, 30}},
		{"three arms", []int32{1, 2, 5}},
		{"zero weight middle", []int32{3, 0, 1}},
		{"max weights", []int32{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}},
	}
	const n = 100000
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counts := make([]int, len(tc.weights))
			var sum int32
			for _, w := range tc.weights {
				sum += w
			}
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
				a := SplitArm(id, "threshold-60-vs-75", tc.weights)
				if a < 0 || a >= len(tc.weights) {
					t.Fatalf("lead %s: arm %d out of range", id, a)
				}
				counts[a]++
			}
			// Pearson's chi-square against the weights; df = positive arms - 1. The 99.9th percentiles of
			// chi-square with 1..7 df are 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32 (any table).
			crit := []float64{0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32}
			var chi float64
			df := -1
			for i, w := range tc.weights {
				if w == 0 {
					if counts[i] != 0 {
						t.Fatalf("arm %d has weight 0 but took %d leads", i, counts[i])
					}
					continue
				}
				df++
				exp := float64(n) * float64(w) / float64(sum)
				d := float64(counts[i]) - exp
				chi += d * d / exp
				if rel := d / exp; rel > 0.02 || rel < -0.02 {
					t.Errorf("arm %d: %d leads, want %.0f ±2%%", i, counts[i], exp)
				}
			}
			if chi > crit[df] {
				t.Errorf("chi-square %.2f with %d df exceeds 99.9%% critical value %.2f: counts %v", chi, df, crit[df], counts)
			}
		})
	}
}

func TestSplitArmStable(t *testing.T) {
	w := []int32{1, 1, 1}
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("lead-%d", i)
		a := SplitArm(id, "exp", w)
		for j := 0; j < 3; j++ {
			if b := SplitArm(id, "exp", w); b != a {
				t.Fatalf("lead %s: arm %d then %d", id, a, b)
			}
		}
	}
	// Pinned values, computed independently with Python's hashlib (first 8 bytes of
	// sha256(b"threshold-60-vs-75\x00" + id), big-endian, times the weight sum, high 64 bits): a change
	// to the hash would move live leads between arms mid-experiment.
	pinned := []struct {
		id        string
		even, wts int // arm under weights [1 1] and [1 2 5]
	}{
		{"3f2b9c1e-7d4a-4b8e-9f10-2a6c5d8e7b41", 0, 1},
		{"lead-1", 1, 2},
		{"lead-2", 0, 2},
		{"lead-3", 1, 2},
		{"lead-4", 1, 2},
	}
	for _, p := range pinned {
		if got := SplitArm(p.id, "threshold-60-vs-75", []int32{1, 1}); got != p.even {
			t.Errorf("%s weights [1 1]: arm %d, want %d", p.id, got, p.even)
		}
		if got := SplitArm(p.id, "threshold-60-vs-75", []int32{1, 2, 5}); got != p.wts {
			t.Errorf("%s weights [1 2 5]: arm %d, want %d", p.id, got, p.wts)
		}
	}
	// Different experiments shuffle leads independently: about half the leads change arm.
	moved := 0
	for i := 0; i < 10000; i++ {
		id := fmt.Sprintf("lead-%d", i)
		if SplitArm(id, "exp-a", []int32{1, 1}) != SplitArm(id, "exp-b", []int32{1, 1}) {
			moved++
		}
	}
	if moved < 4700 || moved > 5300 {
		t.Errorf("%d of 10000 leads changed arm between two experiments, want about 5000", moved)
	}
}

func TestSplitArmNoWeight(t *testing.T) {
	for _, w := range [][]int32{nil, {}, {0, 0}, {0, -1}} {
		if a := SplitArm("x", "e", w); a != -1 {
			t.Errorf("weights %v: arm %d, want -1", w, a)
		}
	}
	for i := 0; i < 1000; i++ {
		if a := SplitArm(fmt.Sprint(i), "e", []int32{0, 5, 0}); a != 1 {
			t.Fatalf("weights [0 5 0]: arm %d, want 1", a)
		}
	}
}

func TestAlternateArmBerlinDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	week := 168 * time.Hour
	cases := []struct {
		name       string
		start      time.Time
		t          time.Time
		want       int
		wantSwitch string // next switch, local Berlin time
	}{
		// Spring 2026: clocks go forward Sunday 29 March 02:00 → 03:00. Start Monday 23 March 09:30.
		{"spring first week", at("2026-03-23 09:30"), at("2026-03-23 10:00"), 0, "2026-03-30 00:00"},
		{"spring last minute before switch", at("2026-03-23 09:30"), at("2026-03-29 23:59"), 0, "2026-03-30 00:00"},
		{"spring at switch (167h week)", at("2026-03-23 09:30"), at("2026-03-30 00:00"), 1, "2026-04-06 00:00"},
		{"spring third week", at("2026-03-23 09:30"), at("2026-04-06 00:00"), 0, "2026-04-13 00:00"},
		// Autumn 2026: clocks go back Sunday 25 October 03:00 → 02:00. Start Monday 19 October 00:00.
		{"autumn first week", at("2026-10-19 00:00"), at("2026-10-25 02:30"), 0, "2026-10-26 00:00"},
		{"autumn last minute", at("2026-10-19 00:00"), at("2026-10-25 23:59"), 0, "2026-10-26 00:00"},
		{"autumn at switch (169h week)", at("2026-10-19 00:00"), at("2026-10-26 00:00"), 1, "2026-11-02 00:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := AlternateArm(tc.t, tc.start, week, berlin, 2); got != tc.want {
				t.Errorf("arm %d, want %d", got, tc.want)
			}
			next := NextSwitch(tc.t, tc.start, week, berlin)
			if got := next.In(berlin).Format("2006-01-02 15:04"); got != tc.wantSwitch {
				t.Errorf("next switch %s, want %s", got, tc.wantSwitch)
			}
			if next.In(berlin).Weekday() != time.Monday {
				t.Errorf("next switch on %s, want Monday", next.In(berlin).Weekday())
			}
		})
	}
	// The week spanning the spring change is 167 real hours, the autumn one 169.
	s := at("2026-03-23 09:30")
	if d := NextSwitch(at("2026-03-31 00:00"), s, week, berlin).Sub(NextSwitch(at("2026-03-24 00:00"), s, week, berlin)); d != 168*time.Hour {
		t.Errorf("week after spring change is %s", d)
	}
	if d := at("2026-03-30 00:00").Sub(at("2026-03-23 00:00")); d != 167*time.Hour {
		t.Errorf("spring week is %s, want 167h", d)
	}
	if d := at("2026-10-26 00:00").Sub(at("2026-10-19 00:00")); d != 169*time.Hour {
		t.Errorf("autumn week is %s, want 169h", d)
	}
	// The instant one real 168h after the spring Monday midnight is still Sunday 23:00 local: arm 0.
	if got := AlternateArm(at("2026-03-23 00:00").Add(week-time.Hour), s, week, berlin, 2); got != 1 {
		t.Errorf("168h-1h after the anchor (= Mon 00:00 local after a 167h week): arm %d, want 1", got)
	}
}

func TestAlternateArmHours(t *testing.T) {
	start := time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC) // anchor 2026-05-04 00:00 UTC
	cases := []struct {
		t    time.Time
		arms int
		want int
		next time.Time
	}{
		{start, 2, 0, time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)},
		{time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC), 2, 1, time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 5, 5, 13, 0, 0, 0, time.UTC), 3, 0, time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 5, 5, 13, 0, 0, 0, time.UTC), 2, 1, time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		if got := AlternateArm(tc.t, start, 12*time.Hour, nil, tc.arms); got != tc.want {
			t.Errorf("%s with %d arms: arm %d, want %d", tc.t, tc.arms, got, tc.want)
		}
		if got := NextSwitch(tc.t, start, 12*time.Hour, nil); !got.Equal(tc.next) {
			t.Errorf("%s: next switch %s, want %s", tc.t, got, tc.next)
		}
	}
}

func TestAlternateArmEdges(t *testing.T) {
	start := time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)
	if got := AlternateArm(start.Add(-48*time.Hour), start, 24*time.Hour, time.UTC, 2); got != 0 {
		t.Errorf("before start: arm %d, want 0", got)
	}
	if got := NextSwitch(start.Add(-48*time.Hour), start, 24*time.Hour, time.UTC); !got.Equal(time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("before start: next switch %s, want the anchor", got)
	}
	for _, p := range []time.Duration{0, -time.Hour, 90 * time.Minute} {
		if ValidatePeriod(p) == nil {
			t.Errorf("period %s accepted", p)
		}
		if !NextSwitch(start, start, p, nil).IsZero() {
			t.Errorf("period %s: a next switch", p)
		}
	}
	// Three arms over whole days: day 0 → 0, day 1 → 1, day 2 → 2, day 3 → 0.
	for d := 0; d < 7; d++ {
		if got := AlternateArm(start.Add(time.Duration(d)*24*time.Hour), start, 24*time.Hour, time.UTC, 3); got != d%3 {
			t.Errorf("day %d: arm %d, want %d", d, got, d%3)
		}
	}
}

// TestAlternateArmSkippedMidnight: in America/Santiago clocks jump from Saturday 5 September 2026
// 24:00 (-04) to Sunday 01:00 (-03); Sunday begins at the transition, 04:00 UTC, as a TeamGoal
// period's day does. The switch and NextSwitch agree on it, and NextSwitch is never in the past.
func TestAlternateArmSkippedMidnight(t *testing.T) {
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	start := time.Date(2026, 8, 31, 9, 0, 0, 0, santiago) // Monday; daily arms 0, 1, 0, 1, ...
	transition := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC)
	cases := []struct {
		t    time.Time
		want int
		next time.Time
	}{
		{transition.Add(-time.Hour), 1, transition}, // Saturday 23:00 -04 (day 5)
		{transition.Add(-time.Second), 1, transition},
		{transition, 0, time.Date(2026, 9, 7, 3, 0, 0, 0, time.UTC)}, // Sunday 01:00 -03 (day 6)
	}
	for _, tc := range cases {
		if got := AlternateArm(tc.t, start, 24*time.Hour, santiago, 2); got != tc.want {
			t.Errorf("%s: arm %d, want %d", tc.t, got, tc.want)
		}
		next := NextSwitch(tc.t, start, 24*time.Hour, santiago)
		if !next.Equal(tc.next) || !next.After(tc.t) {
			t.Errorf("%s: next switch %s, want %s (after t)", tc.t, next.UTC(), tc.next)
		}
	}
	// Every NextSwitch over the fortnight is after t and the arm changes exactly there.
	for tm := start; tm.Before(start.Add(14 * 24 * time.Hour)); tm = tm.Add(17 * time.Minute) {
		next := NextSwitch(tm, start, 24*time.Hour, santiago)
		if !next.After(tm) {
			t.Fatalf("%s: next switch %s is not after it", tm, next)
		}
		before, at := AlternateArm(next.Add(-time.Nanosecond), start, 24*time.Hour, santiago, 2), AlternateArm(next, start, 24*time.Hour, santiago, 2)
		if before == at {
			t.Fatalf("%s: the arm does not change at the next switch %s", tm, next)
		}
	}
}

// TestNextSwitchSweep: across both Berlin DST changes of 2026, for daily, weekly and 12-hour
// periods, NextSwitch is after t and the arm changes exactly there.
func TestNextSwitchSweep(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	for _, start := range []time.Time{time.Date(2026, 3, 20, 10, 0, 0, 0, berlin), time.Date(2026, 10, 16, 10, 0, 0, 0, berlin)} {
		for _, period := range []time.Duration{12 * time.Hour, 24 * time.Hour, 168 * time.Hour} {
			for tm := start; tm.Before(start.Add(21 * 24 * time.Hour)); tm = tm.Add(23 * time.Minute) {
				next := NextSwitch(tm, start, period, berlin)
				if !next.After(tm) {
					t.Fatalf("%s every %s: next switch %s is not after it", tm, period, next)
				}
				if AlternateArm(next.Add(-time.Nanosecond), start, period, berlin, 2) == AlternateArm(next, start, period, berlin, 2) {
					t.Fatalf("%s every %s: the arm does not change at the next switch %s", tm, period, next)
				}
				if ps := PeriodStart(tm, start, period, berlin); ps.After(tm) && !tm.Before(anchorOf(start, berlin)) {
					t.Fatalf("%s every %s: period start %s is after it", tm, period, ps)
				}
			}
		}
	}
}

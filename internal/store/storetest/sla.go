package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

var slaTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"DueHandoffs", testDueHandoffs},
	{"SLAStats", testSLAStats},
	{"SLAStatsRecentBreaches", testSLARecentBreaches},
}

// touchedAt moves a routed lead to touched at the given time, through Update.
func touchedAt(t *testing.T, s store.Store, l *lead.Lead, at time.Time, mut func(*lead.Lead)) *lead.Lead {
	t.Helper()
	return update(t, s, l, func(n *lead.Lead) {
		n.Stage, n.TouchedAt = lead.StageTouched, tp(at)
		if mut != nil {
			mut(n)
		}
	})
}

func testDueHandoffs(t *testing.T, s store.Store) {
	sla := asSLA(t, s)
	T := base.Add(24 * time.Hour)
	ft := func(due time.Time) func(*lead.Lead) { return func(n *lead.Lead) { n.FirstTouchDue = tp(due) } }
	a := routed(t, s, "rep-a", ft(T))                  // due exactly at T
	routed(t, s, "rep-a", ft(T.Add(time.Microsecond))) // not yet
	routed(t, s, "rep-a", func(n *lead.Lead) {         // breach already recorded
		n.FirstTouchDue, n.FirstTouchBreachedAt = tp(T.Add(-time.Hour)), tp(T.Add(-time.Hour))
	})
	d := touchedAt(t, s, routed(t, s, "rep-b", ft(T.Add(-2*time.Hour))), T.Add(-3*time.Hour), func(n *lead.Lead) {
		n.AcceptanceDue = tp(T.Add(-30 * time.Minute)) // first touch done; acceptance due
	})
	touchedAt(t, s, routed(t, s, "rep-b", nil), T.Add(-3*time.Hour), func(n *lead.Lead) {
		n.AcceptanceDue, n.AcceptanceBreachedAt = tp(T.Add(-time.Hour)), tp(T.Add(-time.Hour))
	})
	acc := touchedAt(t, s, routed(t, s, "rep-b", nil), T.Add(-3*time.Hour), func(n *lead.Lead) { n.AcceptanceDue = tp(T.Add(-time.Hour)) })
	update(t, s, acc, func(n *lead.Lead) { n.Stage, n.AcceptedAt = lead.StageAccepted, tp(T.Add(-2*time.Hour)) }) // closed handoff
	g := routed(t, s, "rep-c", func(n *lead.Lead) {
		n.FirstTouchDue, n.AcceptanceDue = tp(T.Add(time.Hour)), tp(T.Add(-10*time.Minute))
	})
	h := routed(t, s, "rep-c", func(n *lead.Lead) {
		n.FirstTouchDue, n.FirstTouchBreachedAt = tp(T.Add(-3*time.Hour)), tp(T.Add(-3*time.Hour))
		n.AcceptanceDue = tp(T.Add(-5 * time.Minute))
	})
	mustUpsert(t, s, input("")) // no handoff at all

	check := func(at time.Time, limit int, want ...*lead.Lead) {
		t.Helper()
		got, err := sla.DueHandoffs(ctx(t), at, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("DueHandoffs(%v, %d) = %v, want %v", at, limit, ids(got), ids(want))
		}
	}
	check(T, 100, d, g, h, a)
	check(T, 2, d, g)
	check(T.Add(-time.Microsecond), 100, d, g, h)
	check(T.Add(-time.Hour), 100)
	check(T, 0)
}

func testSLAStats(t *testing.T, s store.Store) {
	sla := asSLA(t, s)
	N := base.Add(30 * 24 * time.Hour)
	S := N.Add(-7 * 24 * time.Hour)
	in := func(routedAt time.Time, mut func(*lead.Lead)) func(*lead.Lead) {
		return func(n *lead.Lead) {
			n.QualifiedAt, n.RoutedAt = tp(routedAt), tp(routedAt)
			mut(n)
		}
	}
	r0 := N.Add(-24 * time.Hour)
	// O1: first touch overdue; acceptance at risk.
	routed(t, s, "rep-a", in(r0, func(n *lead.Lead) {
		n.FirstTouchWarn, n.FirstTouchDue = tp(N.Add(-2*time.Hour)), tp(N.Add(-time.Hour))
		n.AcceptanceWarn, n.AcceptanceDue = tp(N.Add(-10*time.Minute)), tp(N.Add(time.Hour))
	}))
	// O2: touched after 10m, acceptance overdue.
	touchedAt(t, s, routed(t, s, "rep-a", in(r0, func(n *lead.Lead) {
		n.AcceptanceWarn, n.AcceptanceDue = tp(N.Add(-time.Hour)), tp(N.Add(-30*time.Minute))
	})), r0.Add(10*time.Minute), nil)
	// O3: first touch at risk, within SLA.
	routed(t, s, "rep-b", in(r0, func(n *lead.Lead) {
		n.FirstTouchWarn, n.FirstTouchDue = tp(N.Add(-5*time.Minute)), tp(N.Add(20*time.Minute))
		n.AcceptanceWarn, n.AcceptanceDue = tp(N.Add(30*time.Minute)), tp(N.Add(2*time.Hour))
	}))
	// O4: touched after 20m and accepted, no breach: compliant.
	o4 := touchedAt(t, s, routed(t, s, "rep-b", in(r0, func(n *lead.Lead) {
		n.FirstTouchDue, n.AcceptanceDue = tp(r0.Add(time.Hour)), tp(r0.Add(2*time.Hour))
	})), r0.Add(20*time.Minute), nil)
	update(t, s, o4, func(n *lead.Lead) { n.Stage, n.AcceptedAt = lead.StageAccepted, tp(r0.Add(time.Hour)) })
	// O5: touched after 30m, breached once before (a reassignment).
	touchedAt(t, s, routed(t, s, "rep-c", in(r0, func(n *lead.Lead) {
		n.AcceptanceDue = tp(N.Add(5 * time.Hour))
		n.BreachCount, n.LastBreachAt = 1, tp(N.Add(-3*time.Hour))
	})), r0.Add(30*time.Minute), nil)
	// O6: qualified before the window (outside compliance), touched inside it after 40m.
	o6 := touchedAt(t, s, routed(t, s, "rep-c", in(N.Add(-48*time.Hour), func(n *lead.Lead) {
		n.QualifiedAt = tp(N.Add(-10 * 24 * time.Hour))
	})), N.Add(-48*time.Hour+40*time.Minute), nil)
	update(t, s, o6, func(n *lead.Lead) { n.Stage, n.AcceptedAt = lead.StageAccepted, tp(N.Add(-47*time.Hour)) })
	// O7: another policy's breach.
	routed(t, s, "rep-z", in(r0, func(n *lead.Lead) {
		n.Policy, n.FirstTouchDue = "ns/q", tp(N.Add(-4*time.Hour))
		n.BreachCount, n.LastBreachAt = 1, tp(N.Add(-time.Hour))
	}))

	st, err := sla.SLAStats(ctx(t), "ns/p", store.SLAQuery{Now: N, Since: S, BreachedSince: N.Add(-15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	eqTime := func(name string, got *time.Time, want time.Time) {
		t.Helper()
		if got == nil || !got.Equal(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if st.FirstTouchOverdue != 1 || st.AcceptanceOverdue != 1 || st.AtRisk != 2 || st.Compliant != 1 || st.Breached != 3 {
		t.Errorf("counts: overdue %d/%d, at risk %d, compliant %d, breached %d; want 1/1, 2, 1, 3",
			st.FirstTouchOverdue, st.AcceptanceOverdue, st.AtRisk, st.Compliant, st.Breached)
	}
	eqTime("OldestOverdueDue", st.OldestOverdueDue, N.Add(-time.Hour))
	eqTime("NextEvent", st.NextEvent, N.Add(20*time.Minute))
	eqTime("LastBreachTime", st.LastBreachTime, N.Add(-3*time.Hour))
	if st.RecentlyBreached != 0 {
		t.Errorf("RecentlyBreached = %d, want 0 (the only breach is 3h old)", st.RecentlyBreached)
	}
	if st.MedianTimeToFirstTouch == nil || *st.MedianTimeToFirstTouch != 25*time.Minute {
		t.Errorf("median time to first touch = %v, want 25m", st.MedianTimeToFirstTouch)
	}
	// Odd count: a window that leaves out O2 (touched earliest)... all touches are after S; narrow
	// the window to after O6's touch instead: 10m, 20m, 30m → 20m.
	st2, err := sla.SLAStats(ctx(t), "ns/p", store.SLAQuery{Now: N, Since: N.Add(-30 * time.Hour), BreachedSince: N})
	if err != nil {
		t.Fatal(err)
	}
	if st2.MedianTimeToFirstTouch == nil || *st2.MedianTimeToFirstTouch != 20*time.Minute {
		t.Errorf("odd median = %v, want 20m", st2.MedianTimeToFirstTouch)
	}
	empty, err := sla.SLAStats(ctx(t), "ns/none", store.SLAQuery{Now: N, Since: S})
	if err != nil || empty != (store.SLAStats{}) {
		t.Errorf("unknown policy: %+v %v", empty, err)
	}
}

// testSLARecentBreaches: RecentlyBreached counts the policy's leads whose newest breach was recorded
// at or after BreachedSince, each lead once, whatever its stage; LastBreachTime is the newest.
func testSLARecentBreaches(t *testing.T, s store.Store) {
	sla := asSLA(t, s)
	N := base.Add(30 * 24 * time.Hour)
	B := N.Add(-15 * time.Minute)
	breachedAt := func(at time.Time, count int) func(*lead.Lead) {
		return func(n *lead.Lead) {
			n.QualifiedAt, n.RoutedAt = tp(N.Add(-time.Hour)), tp(N.Add(-time.Hour))
			n.BreachCount, n.LastBreachAt = count, tp(at)
		}
	}
	routed(t, s, "rep-a", breachedAt(B.Add(-time.Microsecond), 1)) // just before the window
	routed(t, s, "rep-a", breachedAt(B, 1))                        // exactly at its start: counts
	routed(t, s, "rep-b", breachedAt(B.Add(5*time.Minute), 2))     // breached twice: counts once
	// Touched and accepted since: its breach still counts.
	closed := touchedAt(t, s, routed(t, s, "rep-b", breachedAt(B.Add(10*time.Minute), 1)), N.Add(-2*time.Minute), nil)
	update(t, s, closed, func(n *lead.Lead) { n.Stage, n.AcceptedAt = lead.StageAccepted, tp(N.Add(-time.Minute)) })
	// Overdue, breach not recorded yet.
	routed(t, s, "rep-c", func(n *lead.Lead) { n.FirstTouchDue = tp(N.Add(-time.Minute)) })
	// Another policy's newer breach.
	routed(t, s, "rep-z", func(n *lead.Lead) {
		breachedAt(N, 1)(n)
		n.Policy = "ns/q"
	})

	for _, tc := range []struct {
		name  string
		since time.Time
		want  int64
	}{
		{"window", B, 3},
		{"from the newest breach, inclusive", B.Add(10 * time.Minute), 1},
		{"a microsecond after the newest breach", B.Add(10*time.Minute + time.Microsecond), 0},
		{"every breach ever", time.Time{}, 4},
	} {
		st, err := sla.SLAStats(ctx(t), "ns/p", store.SLAQuery{Now: N, Since: N.Add(-7 * 24 * time.Hour), BreachedSince: tc.since})
		if err != nil {
			t.Fatal(err)
		}
		if st.RecentlyBreached != tc.want {
			t.Errorf("%s: RecentlyBreached = %d, want %d", tc.name, st.RecentlyBreached, tc.want)
		}
		if st.LastBreachTime == nil || !st.LastBreachTime.Equal(B.Add(10*time.Minute)) {
			t.Errorf("%s: LastBreachTime = %v, want %v", tc.name, st.LastBreachTime, B.Add(10*time.Minute))
		}
		if st.FirstTouchOverdue != 1 {
			t.Errorf("%s: FirstTouchOverdue = %d, want 1: an unrecorded breach is overdue, not recent", tc.name, st.FirstTouchOverdue)
		}
	}
	other, err := sla.SLAStats(ctx(t), "ns/q", store.SLAQuery{Now: N, Since: B, BreachedSince: B})
	if err != nil || other.RecentlyBreached != 1 || other.LastBreachTime == nil || !other.LastBreachTime.Equal(N) {
		t.Errorf("policy ns/q: %+v %v, want 1 recent breach at %v", other, err, N)
	}
}

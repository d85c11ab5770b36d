package router

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
)

// The seed's story: marketing's policy hands score ≥ 60 to SDRs, sales' policy sends score ≥ 75
// straight to account executives. Both select the same leads (inbound); sales' policy has the
// higher priority, so without an experiment it governs every inbound lead.
var inbound = fn(func(l *celenv.Lead) (bool, error) { return l.Source == "inbound", nil })

func experimentFixture(t testing.TB) *fixture {
	return newFixture(t, func(f *fixture) {
		for _, k := range []TeamKey{{"ns", "sales"}, {"ns", "sdr"}} {
			for i := range f.in.Teams[k].Members {
				f.in.Teams[k].Members[i].Capacity = 1 << 20
			}
		}
		sdrFirst := &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "sdr-first", Generation: 1, Priority: 10, Selector: inbound,
			Qualification: scoreOver(60), DisqualifyReason: "score below 60",
			Rules: []routing.Rule{{Name: "sdrs", Team: "sdr", Strategy: routing.LeastLoaded}}}}
		aeDirect := &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "ae-direct", Generation: 2, Priority: 20, Selector: inbound,
			Qualification: scoreOver(75), DisqualifyReason: "score below 75",
			Rules: []routing.Rule{{Name: "aes", Team: "sales", Strategy: routing.RoundRobin}}}}
		catchAll := &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "catch-all", Generation: 1, Priority: 0,
			Rules: []routing.Rule{{Name: "rest", Team: "sdr", Strategy: routing.LeastLoaded}}}}
		f.in.Policies = []*Policy{sdrFirst, aeDirect, catchAll}
		f.in.Experiments = []*Experiment{{Namespace: "ns", Name: "threshold", Strategy: Split,
			Start: now.Add(-24 * time.Hour), End: now.Add(24 * time.Hour),
			Arms: []ExperimentArm{{Name: "control", Policy: sdrFirst, Weight: 1}, {Name: "b", Policy: aeDirect, Weight: 1}}}}
	})
}

// idInArm returns a lead id that Split assigns to arm i of the fixture's experiment.
func idInArm(t testing.TB, i int) string {
	for n := range 1000 {
		id := fmt.Sprintf("L%d", n)
		if experiment.SplitArm(id, "ns/threshold", []int32{1, 1}) == i {
			return id
		}
	}
	t.Fatalf("no id in arm %d", i)
	return ""
}

func TestDecideExperiment(t *testing.T) {
	alternate := func(f *fixture) {
		x := f.in.Experiments[0]
		x.Strategy, x.Period, x.Location = Alternate, 168*time.Hour, time.UTC
		// Monday 2027-01-25 00:00 UTC: the week of now (Monday 2027-02-01) is the second period.
		x.Start, x.End = time.Date(2027, 1, 25, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 8, 0, 0, 0, 0, time.UTC)
	}
	cases := []struct {
		name    string
		fixture []func(*fixture)
		lead    []func(*lead.Lead)
		// wantX and wantArm are the experiment and arm on the decided lead and in its audit data
		// ("" for none); policy is the governing policy.
		wantX, wantArm, policy string
		outcome                routing.Outcome
		events                 string
	}{
		{name: "split: an id in the control arm gets the control's policy despite its lower priority",
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 0) }}, wantX: "ns/threshold", wantArm: "control",
			policy: "ns/sdr-first", outcome: routing.Routed, events: "qualified,routed"},
		{name: "split: an id in arm b gets b's policy",
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 1) }}, wantX: "ns/threshold", wantArm: "b",
			policy: "ns/ae-direct", outcome: routing.Routed, events: "qualified,routed"},
		{name: "split: arm b's gate disqualifies a 65, recorded under the arm",
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID, l.Score = idInArm(t, 1), 65 }}, wantX: "ns/threshold", wantArm: "b",
			policy: "ns/ae-direct", outcome: routing.Disqualified, events: "disqualified"},
		{name: "split: a zero weight never takes a lead", fixture: []func(*fixture){func(f *fixture) { f.in.Experiments[0].Arms[1].Weight = 0 }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 1) }}, wantX: "ns/threshold", wantArm: "control",
			policy: "ns/sdr-first", outcome: routing.Routed},
		{name: "alternate: the second week runs the second arm", fixture: []func(*fixture){alternate},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 0) }}, wantX: "ns/threshold", wantArm: "b",
			policy: "ns/ae-direct", outcome: routing.Routed},
		{name: "alternate: the first week runs the first arm", fixture: []func(*fixture){alternate, func(f *fixture) { f.in.Now = now.Add(-72 * time.Hour) }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 1) }}, wantX: "ns/threshold", wantArm: "control",
			policy: "ns/sdr-first", outcome: routing.Routed},
		{name: "before the start: normal selection (priority)", fixture: []func(*fixture){func(f *fixture) { f.in.Experiments[0].Start = now.Add(time.Minute) }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 0) }}, policy: "ns/ae-direct", outcome: routing.Routed},
		{name: "at the end: normal selection (priority)", fixture: []func(*fixture){func(f *fixture) { f.in.Experiments[0].End = now }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID = idInArm(t, 0) }}, policy: "ns/ae-direct", outcome: routing.Routed},
		{name: "out of scope: the arms' selector does not select it, another policy governs",
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ID, l.Source = idInArm(t, 0), "event" }}, policy: "ns/catch-all", outcome: routing.Routed},
		{name: "requeued lead keeps its arm, whatever the hash says",
			lead: []func(*lead.Lead){func(l *lead.Lead) {
				l.ID, l.Stage, l.Policy, l.Team, l.Rule, l.QualifiedAt = idInArm(t, 0), lead.StageQualified, "ns/ae-direct", "ns/sales", "aes", &now
				l.Experiment, l.Arm = "ns/threshold", "b"
			}}, wantX: "ns/threshold", wantArm: "b", policy: "ns/ae-direct", outcome: routing.Routed, events: "routed"},
		{name: "requeued lead keeps its arm under Alternate after the switch", fixture: []func(*fixture){alternate},
			lead: []func(*lead.Lead){func(l *lead.Lead) {
				l.Stage, l.Policy, l.Team, l.Rule, l.QualifiedAt = lead.StageQualified, "ns/sdr-first", "ns/sdr", "sdrs", &now
				l.Experiment, l.Arm = "ns/threshold", "control"
			}}, wantX: "ns/threshold", wantArm: "control", policy: "ns/sdr-first", outcome: routing.Routed, events: "routed"},
		{name: "a lead of an experiment no longer running: normal selection, its record untouched",
			fixture: []func(*fixture){func(f *fixture) { f.in.Experiments = nil }},
			lead: []func(*lead.Lead){func(l *lead.Lead) {
				l.Stage, l.Policy, l.Team, l.Rule, l.QualifiedAt = lead.StageQualified, "ns/sdr-first", "ns/sdr", "sdrs", &now
				l.Experiment, l.Arm = "ns/threshold", "control"
			}}, wantX: "ns/threshold", wantArm: "control", policy: "ns/ae-direct", outcome: routing.Routed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := experimentFixture(t)
			for _, m := range tc.fixture {
				m(f)
			}
			l := newLead(append([]func(*lead.Lead){func(l *lead.Lead) { l.Source = "inbound" }}, tc.lead...)...)
			d, ch, x, a, ok, err := DecideArm(f.in, f.world, l)
			if err != nil || !ok {
				t.Fatalf("ok %v err %v (%s)", ok, err, d.Reason)
			}
			if d.Outcome != tc.outcome || d.Policy.Key() != tc.policy {
				t.Fatalf("outcome %s under %s (%s); want %s under %s", d.Outcome, d.Policy.Key(), d.Reason, tc.outcome, tc.policy)
			}
			got := ch.Lead
			if got.Experiment != tc.wantX || got.Arm != tc.wantArm || got.Policy != tc.policy {
				t.Fatalf("lead experiment %q arm %q policy %q; want %q %q %q", got.Experiment, got.Arm, got.Policy, tc.wantX, tc.wantArm, tc.policy)
			}
			governed := f.in.Experiments != nil && tc.wantX != ""
			if governed && (x != tc.wantX || a != tc.wantArm) {
				t.Fatalf("DecideArm says %q %q", x, a)
			}
			var types string
			for i, e := range ch.Events {
				if i > 0 {
					types += ","
				}
				types += e.Type
				if governed && (e.Data["experiment"] != tc.wantX || e.Data["arm"] != tc.wantArm) {
					t.Fatalf("audit %s data %v: want experiment %q arm %q", e.Type, e.Data, tc.wantX, tc.wantArm)
				}
				if !governed && (e.Data["experiment"] != nil || e.Data["arm"] != nil) {
					t.Fatalf("audit %s data %v names an experiment", e.Type, e.Data)
				}
			}
			if tc.events != "" && types != tc.events {
				t.Fatalf("events %s, want %s", types, tc.events)
			}
		})
	}
}

// TestExperimentSplitFollowsWeights decides 20,000 leads under a 1:3 Split: each arm takes its
// share within 2 points, and each lead is governed by its arm's policy.
func TestExperimentSplitFollowsWeights(t *testing.T) {
	f := experimentFixture(t)
	f.in.Experiments[0].Arms[1].Weight = 3
	const n = 20000
	per := map[string]int{}
	for i := range n {
		l := newLead(func(l *lead.Lead) { l.ID, l.Source = fmt.Sprintf("lead-%05d", i), "inbound" })
		_, ch, ok, err := Decide(f.in, f.world, l)
		if err != nil || !ok {
			t.Fatalf("lead %d: ok %v err %v", i, ok, err)
		}
		want := map[string]string{"control": "ns/sdr-first", "b": "ns/ae-direct"}[ch.Lead.Arm]
		if ch.Lead.Policy != want {
			t.Fatalf("lead in arm %q governed by %q, want %q", ch.Lead.Arm, ch.Lead.Policy, want)
		}
		per[ch.Lead.Arm]++
	}
	if share := float64(per["b"]) / n; math.Abs(share-0.75) > 0.02 {
		t.Fatalf("arm b took %.3f of the leads (%v), want 0.75 ± 0.02", share, per)
	}
}

// TestExperimentRunRequeueKeepsArm runs whole passes: a lead assigned an arm waits (the arm's team
// is full), and when room comes it is routed under the same arm, recorded once.
func TestExperimentRunRequeueKeepsArm(t *testing.T) {
	f := experimentFixture(t)
	for i := range f.in.Teams[TeamKey{"ns", "sales"}].Members {
		f.in.Teams[TeamKey{"ns", "sales"}].Members[i].Available = false
	}
	id := idInArm(t, 1)
	st := newMemStore(newLead(func(l *lead.Lead) { l.ID, l.Source = id, "inbound" }))
	r := &Router{Store: st}
	if _, err := r.Run(context.Background(), f.in); err != nil {
		t.Fatal(err)
	}
	got := st.get(id)
	if got.Stage != lead.StageQualified || got.Experiment != "ns/threshold" || got.Arm != "b" || got.Team != "ns/sales" {
		t.Fatalf("after the first pass: stage %s experiment %q arm %q team %q", got.Stage, got.Experiment, got.Arm, got.Team)
	}
	// The split now says control for every lead; the waiting lead keeps b.
	f.in.Experiments[0].Arms[1].Weight = 0
	for i := range f.in.Teams[TeamKey{"ns", "sales"}].Members {
		f.in.Teams[TeamKey{"ns", "sales"}].Members[i].Available = true
	}
	if _, err := r.Run(context.Background(), f.in); err != nil {
		t.Fatal(err)
	}
	got = st.get(id)
	if got.Stage != lead.StageRouted || got.Arm != "b" || got.Policy != "ns/ae-direct" || got.Team != "ns/sales" {
		t.Fatalf("after room came: stage %s arm %q policy %q team %q", got.Stage, got.Arm, got.Policy, got.Team)
	}
	for _, e := range st.audit[id] {
		if e.Data["arm"] != "b" {
			t.Fatalf("audit %s data %v: want arm b", e.Type, e.Data)
		}
	}
}

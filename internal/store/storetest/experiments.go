package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// experimentTests cover a lead's concept experiment and arm (set once by the routing decision) and
// the streams behind an experiment's evaluation.
var experimentTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ExperimentArmSetOnce", testExperimentArmSetOnce},
	{"ExperimentLeads", testExperimentLeads},
	{"LeadsCreatedBetween", testLeadsCreatedBetween},
}

func inArm(experiment, arm string) func(*lead.Lead) {
	return func(n *lead.Lead) { n.Experiment, n.Arm = experiment, arm }
}

func testExperimentArmSetOnce(t *testing.T, s store.Store) {
	plain := routed(t, s, "rep-a", nil)
	if got := mustGet(t, s, plain.ID); got.Experiment != "" || got.Arm != "" {
		t.Fatalf("a lead routed outside any experiment has experiment %q arm %q", got.Experiment, got.Arm)
	}
	l := routed(t, s, "rep-a", inArm("ns/threshold", "b"))
	if l.Experiment != "ns/threshold" || l.Arm != "b" {
		t.Fatalf("CommitDecisions returned experiment %q arm %q, want ns/threshold b", l.Experiment, l.Arm)
	}
	if got := mustGet(t, s, l.ID); got.Experiment != "ns/threshold" || got.Arm != "b" {
		t.Fatalf("Get: experiment %q arm %q, want ns/threshold b", got.Experiment, got.Arm)
	}
	// Neither a later Update nor a later decision changes or clears them.
	u := update(t, s, l, inArm("ns/other", "control"))
	if u.Experiment != "ns/threshold" || u.Arm != "b" {
		t.Fatalf("Update changed the arm: returned %q %q", u.Experiment, u.Arm)
	}
	u = update(t, s, u, inArm("", ""))
	if got := mustGet(t, s, l.ID); got.Experiment != "ns/threshold" || got.Arm != "b" || u.Arm != "b" {
		t.Fatalf("Update cleared the arm: stored %q %q, returned %q", got.Experiment, got.Arm, u.Arm)
	}
	// A reject and re-qualify, then a new routing decision naming another arm: the arm stays.
	if _, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityTouch)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityReject)); err != nil {
		t.Fatal(err)
	}
	rq, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityQualify))
	if err != nil {
		t.Fatal(err)
	}
	if rq.Experiment != "ns/threshold" || rq.Arm != "b" {
		t.Fatalf("activities changed the arm: %q %q", rq.Experiment, rq.Arm)
	}
	again := mustCommit(t, s, routeDecision(rq, "rep-b", inArm("ns/threshold", "control")))[0]
	if got := mustGet(t, s, l.ID); got.Arm != "b" || again.Arm != "b" || got.Owner != "rep-b" {
		t.Fatalf("a second decision changed the arm: stored %q, returned %q (owner %q)", got.Arm, again.Arm, got.Owner)
	}
	// An arm without its experiment (or the reverse) is refused, and nothing changes.
	fresh := mustUpsert(t, s, input(""))
	for _, bad := range []func(*lead.Lead){inArm("", "b"), inArm("ns/threshold", "")} {
		_, _, err := asRouter(t, s).CommitDecisions(ctx(t), []store.Decision{routeDecision(fresh, "rep-a", bad)})
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("a half-set experiment: err %v, want ErrInvalid", err)
		}
	}
	if got := mustGet(t, s, fresh.ID); got.Stage != lead.StageNew || got.Arm != "" {
		t.Fatalf("a refused decision changed the lead: %+v", got)
	}
}

func testExperimentLeads(t *testing.T, s store.Store) {
	var want []string
	byArm := map[string][]string{}
	for i := range 6 {
		arm := []string{"control", "b"}[i%2]
		l := routed(t, s, "rep-a", inArm("ns/threshold", arm))
		byArm[arm] = append(byArm[arm], l.ID)
	}
	want = append(append(want, byArm["b"]...), byArm["control"]...) // by arm, then creation
	routed(t, s, "rep-a", inArm("ns/other", "control"))
	routed(t, s, "rep-a", inArm("other/threshold", "b"))
	routed(t, s, "rep-a", nil)
	mustUpsert(t, s, input(""))

	var got []string
	arms := map[string]int{}
	err := s.ExperimentLeads(ctx(t), "ns/threshold", func(l *lead.Lead) error {
		if l.Experiment != "ns/threshold" {
			return fmt.Errorf("lead %s of experiment %q", l.ID, l.Experiment)
		}
		got = append(got, l.ID)
		arms[l.Arm]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ExperimentLeads = %v, want %v (by arm, then creation)", got, want)
	}
	if arms["control"] != 3 || arms["b"] != 3 {
		t.Fatalf("per arm: %v", arms)
	}
	// No experiment, an unknown one: nothing. fn's error stops the stream and comes back.
	for _, name := range []string{"", "ns/none"} {
		n := 0
		if err := s.ExperimentLeads(ctx(t), name, func(*lead.Lead) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("ExperimentLeads(%q): %d leads, %v", name, n, err)
		}
	}
	stop := errors.New("enough")
	n := 0
	if err := s.ExperimentLeads(ctx(t), "ns/threshold", func(*lead.Lead) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("a failing fn: %d calls, err %v", n, err)
	}
}

func testLeadsCreatedBetween(t *testing.T, s store.Store) {
	var ls []*lead.Lead
	for range 5 {
		ls = append(ls, mustUpsert(t, s, input("")))
		time.Sleep(2 * time.Millisecond) // distinct creation instants
	}
	// [ls[1].CreatedAt, ls[4].CreatedAt): leads 1, 2 and 3.
	var got []string
	err := s.LeadsCreatedBetween(ctx(t), ls[1].CreatedAt, ls[4].CreatedAt, func(l *lead.Lead) error {
		got = append(got, l.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := ids(ls[1:4]); !slices.Equal(got, want) {
		t.Fatalf("LeadsCreatedBetween = %v, want %v (start included, end excluded, oldest first)", got, want)
	}
	n := 0
	if err := s.LeadsCreatedBetween(ctx(t), ls[4].CreatedAt.Add(time.Hour), ls[4].CreatedAt.Add(2*time.Hour), func(*lead.Lead) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("an empty window: %d leads, %v", n, err)
	}
}

package router

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
)

func tp(t time.Time) *time.Time { return &t }

// routedLead is sdr-1's lead, routed by rule "rest" an hour and a minute ago, first touch due a
// minute ago.
func routedLead(mutate ...func(*lead.Lead)) *lead.Lead {
	l := &lead.Lead{ID: "B1", Stage: lead.StageRouted, Owner: "sdr-1", Team: "ns/sdr", Policy: "ns/inbound", Rule: "rest",
		Version: 4, RoutedAt: tp(now.Add(-61 * time.Minute)), FirstTouchDue: tp(now.Add(-time.Minute)),
		AcceptanceDue: tp(now.Add(23 * time.Hour)), CreatedAt: now.Add(-2 * time.Hour)}
	for _, m := range mutate {
		m(l)
	}
	return l
}

func TestBreachChange(t *testing.T) {
	cases := []struct {
		name    string
		fixture []func(*fixture)
		lead    []func(*lead.Lead)
		ok      bool
		action  Action
		owner   string
		slas    string
		events  string
		check   func(t *testing.T, l *lead.Lead, f *fixture)
	}{
		{name: "first touch overdue: recorded, reassigned by the rule's strategy", ok: true, action: ActionReassigned, owner: "sdr-2",
			slas: "first_touch", events: "breached,reassigned",
			check: func(t *testing.T, l *lead.Lead, f *fixture) {
				if l.ReassignmentCount != 1 || len(l.PreviousOwners) != 1 || l.PreviousOwners[0] != "sdr-1" || l.BreachCount != 1 {
					t.Fatalf("lead %+v", l)
				}
				if l.FirstTouchBreachedAt != nil || !l.FirstTouchDue.Equal(now.Add(time.Hour)) || !l.RoutedAt.Equal(now) {
					t.Fatalf("the new owner gets a fresh SLA: due %v breached %v", l.FirstTouchDue, l.FirstTouchBreachedAt)
				}
				if l.LastBreachAt == nil || !l.LastBreachAt.Equal(now) {
					t.Fatalf("lastBreachAt %v, want the recording time", l.LastBreachAt)
				}
				if f.world.load["sdr-2"] != 1 || f.world.load["sdr-1"] != 0 {
					t.Fatalf("load %v: the previous owner's lead must be released and the new owner's counted", f.world.load)
				}
			}},
		{name: "due exactly now is breached (never before)", lead: []func(*lead.Lead){func(l *lead.Lead) { l.FirstTouchDue = tp(now) }},
			ok: true, action: ActionReassigned, slas: "first_touch"},
		{name: "due a millisecond from now is not", lead: []func(*lead.Lead){func(l *lead.Lead) { l.FirstTouchDue = tp(now.Add(time.Millisecond)) }}},
		{name: "breach already recorded", lead: []func(*lead.Lead){func(l *lead.Lead) { l.FirstTouchBreachedAt = tp(now.Add(-time.Second)) }}},
		{name: "touched: first touch is no longer open", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Stage, l.TouchedAt = lead.StageTouched, tp(now.Add(-30*time.Minute)) }}},
		{name: "touched, acceptance overdue", lead: []func(*lead.Lead){func(l *lead.Lead) {
			l.Stage, l.TouchedAt, l.AcceptanceDue = lead.StageTouched, tp(now.Add(-30*time.Minute)), tp(now.Add(-time.Second))
		}}, ok: true, action: ActionReassigned, slas: "acceptance", events: "breached,reassigned"},
		{name: "accepted: nothing open", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Stage, l.AcceptanceDue = lead.StageAccepted, tp(now.Add(-time.Second)) }}},
		{name: "both overdue: two breaches, one reassignment", lead: []func(*lead.Lead){func(l *lead.Lead) { l.AcceptanceDue = tp(now.Add(-time.Second)) }},
			ok: true, action: ActionReassigned, slas: "first_touch,acceptance", events: "breached,breached,reassigned",
			check: func(t *testing.T, l *lead.Lead, _ *fixture) {
				if l.BreachCount != 2 {
					t.Fatalf("breach count %d, want 2", l.BreachCount)
				}
			}},
		{name: "no onBreach: recorded only", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].OnBreach = OnBreach{} }},
			ok: true, action: ActionNone, owner: "sdr-1", events: "breached",
			check: func(t *testing.T, l *lead.Lead, _ *fixture) {
				if l.FirstTouchBreachedAt == nil || !l.FirstTouchBreachedAt.Equal(now) {
					t.Fatalf("breach mark %v, want now", l.FirstTouchBreachedAt)
				}
			}},
		{name: "reassignments used up: escalated to the manager", lead: []func(*lead.Lead){func(l *lead.Lead) {
			l.Owner, l.PreviousOwners, l.ReassignmentCount = "sdr-2", []string{"sdr-1"}, 1
		}}, ok: true, action: ActionEscalated, owner: "sdr-lead", events: "breached,escalated",
			check: func(t *testing.T, l *lead.Lead, _ *fixture) {
				if l.FirstTouchBreachedAt == nil || !l.FirstTouchDue.Equal(now.Add(-time.Minute)) || l.ReassignmentCount != 1 {
					t.Fatalf("an escalation keeps the breached deadline (so it is not breached again): %+v", l)
				}
				if strings.Join(l.PreviousOwners, ",") != "sdr-1,sdr-2" {
					t.Fatalf("previous owners %v", l.PreviousOwners)
				}
			}},
		{name: "every other member was an owner: escalated", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].OnBreach.MaxReassignments = 5 }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.PreviousOwners = []string{"sdr-2"} }}, ok: true, action: ActionEscalated, owner: "sdr-lead"},
		{name: "nobody has room and no escalation: recorded only", fixture: []func(*fixture){func(f *fixture) {
			f.in.Policies[0].OnBreach.EscalateToManager = false
			f.world = NewWorld(f.in.Teams, map[string]int{"sdr-1": 2, "sdr-2": 2}, nil, nil)
		}}, ok: true, action: ActionNone, owner: "sdr-1", events: "breached"},
		{name: "manager already owns it: recorded only", lead: []func(*lead.Lead){func(l *lead.Lead) {
			l.Owner, l.PreviousOwners, l.ReassignmentCount = "sdr-lead", []string{"sdr-1", "sdr-2"}, 1
		}}, ok: true, action: ActionNone, owner: "sdr-lead", events: "breached"},
		{name: "team without manager: recorded only", fixture: []func(*fixture){func(f *fixture) { f.in.Teams[TeamKey{"ns", "sdr"}].Manager = "" }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.ReassignmentCount = 1 }}, ok: true, action: ActionNone, owner: "sdr-1"},
		{name: "account-owner rule reassigns to the least loaded", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, map[string]int{"ae-2": 3, "ae-3": 1}, nil, nil)
		}}, lead: []func(*lead.Lead){func(l *lead.Lead) { l.Owner, l.Team, l.Rule = "ae-1", "ns/sales", "owners" }},
			ok: true, action: ActionReassigned, owner: "ae-3"},
		{name: "rule gone from the policy: the lead's team, least loaded", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Rule = "deleted" }},
			ok: true, action: ActionReassigned, owner: "sdr-2"},
		{name: "SLA cannot be scheduled on the new team: reassigned, error recorded", fixture: []func(*fixture){func(f *fixture) {
			f.in.Teams[TeamKey{"ns", "sdr"}].Calendar = nil
		}}, ok: true, action: ActionReassigned, owner: "sdr-2",
			check: func(t *testing.T, l *lead.Lead, _ *fixture) {
				if l.FirstTouchDue != nil {
					t.Fatalf("due %v, want none", l.FirstTouchDue)
				}
			}},
		{name: "policy gone: recorded only", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Policy = "ns/deleted" }}, ok: true, action: ActionNone, owner: "sdr-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.fixture...)
			if f.world.load["sdr-1"] == 0 && len(tc.fixture) == 0 {
				f.world.load["sdr-1"] = 1
			}
			l := routedLead(tc.lead...)
			ps, _, _ := f.in.sorted()
			s := &snapshot{policies: byKey(ps), world: f.world, now: f.in.Now}
			ch, b, ok, err := s.breachChange(l)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if b.Action != tc.action || b.LeadID != l.ID || b.From != l.Owner {
				t.Fatalf("breach %+v, want action %s", b, tc.action)
			}
			if tc.owner != "" && ch.Lead.Owner != tc.owner {
				t.Fatalf("owner %q, want %q", ch.Lead.Owner, tc.owner)
			}
			var slas, types []string
			for _, s := range b.SLAs {
				slas = append(slas, string(s.Kind))
			}
			for _, e := range ch.Events {
				types = append(types, e.Type)
			}
			if tc.slas != "" && strings.Join(slas, ",") != tc.slas {
				t.Fatalf("SLAs %v, want %s", slas, tc.slas)
			}
			if tc.events != "" && strings.Join(types, ",") != tc.events {
				t.Fatalf("events %v, want %s", types, tc.events)
			}
			if tc.check != nil {
				tc.check(t, ch.Lead, f)
			}
		})
	}
}

// massBreach runs one pass over n handoffs of one owner that all breach at once, under rule "big" of
// the sales team with the given strategy, and returns how many each member got.
func massBreach(t *testing.T, n int, strategy string, weights map[string]int) map[string]int {
	t.Helper()
	f := newFixture(t, func(f *fixture) {
		f.in.Policies[0].Rules[1].Strategy = strategy
		f.in.Policies[0].OnBreach = OnBreach{Reassign: true, MaxReassignments: 3}
		sales := f.in.Teams[TeamKey{"ns", "sales"}]
		sales.Members = []routing.Candidate{member("ae-0", 1000), member("ae-1", 1000), member("ae-2", 1000), member("ae-3", 1000), member("ae-4", 1000)}
		for i := range sales.Members {
			if w, ok := weights[sales.Members[i].Name]; ok {
				sales.Members[i].Weight = w
			}
		}
	})
	var leads []*lead.Lead
	for i := range n {
		leads = append(leads, routedLead(func(l *lead.Lead) {
			l.ID, l.Owner, l.Team, l.Rule = fmt.Sprintf("B%03d", i), "ae-0", "ns/sales", "big"
		}))
	}
	st := newMemStore(leads...)
	r := &Router{Store: st}
	rep, err := r.Run(context.Background(), f.in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Breaches) != n {
		t.Fatalf("%d breaches recorded, want %d", len(rep.Breaches), n)
	}
	got := map[string]int{}
	for _, l := range leads {
		got[st.get(l.ID).Owner]++
	}
	return got
}

// TestMassBreachRoundRobinIsEven: 100 handoffs breaching in one pass are spread over the other members
// in turn, as 100 new leads would be.
func TestMassBreachRoundRobinIsEven(t *testing.T) {
	got := massBreach(t, 100, routing.RoundRobin, nil)
	if got["ae-0"] != 0 {
		t.Fatalf("%d leads stayed with the owner who missed the deadline", got["ae-0"])
	}
	lo, hi := 100, 0
	for _, m := range []string{"ae-1", "ae-2", "ae-3", "ae-4"} {
		lo, hi = min(lo, got[m]), max(hi, got[m])
	}
	if hi-lo > 1 {
		t.Fatalf("reassignments %v: max-min %d, want at most 1", got, hi-lo)
	}
}

// TestMassBreachWeightedFollowsWeights: the same under Weighted follows the weights.
func TestMassBreachWeightedFollowsWeights(t *testing.T) {
	weights := map[string]int{"ae-1": 1, "ae-2": 2, "ae-3": 3, "ae-4": 4}
	got := massBreach(t, 100, routing.Weighted, weights)
	for m, w := range weights {
		want := 100 * w / 10
		if d := got[m] - want; d < -1 || d > 1 {
			t.Fatalf("reassignments %v: %s got %d, want %d±1 (weight %d of 10)", got, m, got[m], want, w)
		}
	}
}

// TestWaitingQueueIsNotEvaluatedAgain: passes over an unchanged queue evaluate no expression; a
// failing one is reported once per lead.
func TestWaitingQueueIsNotEvaluatedAgain(t *testing.T) {
	evals := 0
	f := newFixture(t, func(f *fixture) {
		f.in.Policies = append(f.in.Policies, &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "broken", Priority: 99,
			Selector: fn(func(l *celenv.Lead) (bool, error) { evals++; return broken(l) }), Rules: []routing.Rule{{Name: "all", Team: "sales"}}}})
		for i := range f.in.Teams[TeamKey{"ns", "sdr"}].Members {
			f.in.Teams[TeamKey{"ns", "sdr"}].Members[i].Capacity = 0
		}
	})
	var leads []*lead.Lead
	for i := range 50 {
		leads = append(leads, newLead(func(l *lead.Lead) { l.ID = fmt.Sprintf("Q%02d", i) }))
	}
	st := newMemStore(leads...)
	r := &Router{Store: st}
	var errs int
	for pass := range 5 {
		rep, err := r.Run(context.Background(), f.in)
		if err != nil {
			t.Fatal(err)
		}
		errs += len(rep.ExpressionErrors)
		for _, e := range rep.ExpressionErrors {
			if e.Policy != "ns/broken" || e.Field != "selector" || e.Generation != 0 {
				t.Fatalf("pass %d: error %+v, want ns/broken selector", pass, e)
			}
		}
	}
	// Each lead: once as new, once more after it was queued (a new version); never again.
	if evals != 100 || errs != 100 {
		t.Fatalf("%d evaluations, %d errors reported over 5 passes; want 100 each", evals, errs)
	}
}

// TestPassBudgetTruncatesAndResumes: a pass that runs out of its time budget stops after the lead in
// hand, says so, and the passes that follow pick up where the queue still waits, until every lead is
// decided; Unmatched is only reported by a complete pass.
func TestPassBudgetTruncatesAndResumes(t *testing.T) {
	f := newFixture(t)
	var leads []*lead.Lead
	for i := range 5 {
		leads = append(leads, newLead(func(l *lead.Lead) { l.ID, l.Employees = fmt.Sprintf("T%d", i), 5000 }))
	}
	st := newMemStore(leads...)
	r := &Router{Store: st, PassBudget: time.Nanosecond}
	passes, truncated := 0, 0
	for {
		rep, err := r.Run(context.Background(), f.in)
		if err != nil {
			t.Fatal(err)
		}
		passes++
		if rep.Truncated {
			truncated++
			if len(rep.Decisions) != 1 || rep.Unmatched != 0 {
				t.Fatalf("pass %d: %d decisions, unmatched %d; want one lead decided and no unmatched count", passes, len(rep.Decisions), rep.Unmatched)
			}
			continue
		}
		break
	}
	for _, l := range leads {
		if got := st.get(l.ID); got.Stage != lead.StageRouted {
			t.Fatalf("lead %s is %s after %d passes", l.ID, got.Stage, passes)
		}
	}
	if truncated != 4 || passes != 5 {
		t.Fatalf("%d passes, %d truncated; want 5 and 4 (one lead each)", passes, truncated)
	}
}

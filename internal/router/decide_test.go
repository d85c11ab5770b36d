package router

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/accountmatch"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/sla"
	"github.com/leadops/leadops/internal/slaclock"
	"github.com/leadops/leadops/internal/store"
)

// now is a Monday 10:00 in New York, inside the test calendar's working hours.
var now = time.Date(2027, 2, 1, 15, 0, 0, 0, time.UTC)

type fn func(*celenv.Lead) (bool, error)

func (f fn) Eval(l *celenv.Lead) (bool, error) { return f(l) }

var (
	never     = fn(func(*celenv.Lead) (bool, error) { return false, nil })
	broken    = fn(func(*celenv.Lead) (bool, error) { return false, errors.New("no such key: plan") })
	scoreOver = func(n int64) routing.Matcher {
		return fn(func(l *celenv.Lead) (bool, error) { return l.Score >= n, nil })
	}
	bigCompany = fn(func(l *celenv.Lead) (bool, error) { return l.Employees >= 1000, nil })
)

func calendar(t testing.TB) *slaclock.Calendar {
	t.Helper()
	cal, err := slaclock.ParseCalendar("America/New_York",
		[]slaclock.Hours{{Days: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}, Start: "09:00", End: "17:00"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func member(name string, capacity int) routing.Candidate {
	return routing.Candidate{Name: name, Capacity: capacity, Weight: 1, Available: true}
}

func hour(h float64) *sla.Target { return &sla.Target{Within: time.Duration(h * float64(time.Hour))} }

// fixture is the samples' story: an inbound policy with a gate, an account-owner rule, big companies to
// account executives in turn and the rest to the least-loaded SDR, a one-business-hour first touch.
type fixture struct {
	in    Input
	world *World
}

func newFixture(t testing.TB, mutate ...func(*fixture)) *fixture {
	cal := calendar(t)
	f := &fixture{in: Input{Now: now, Teams: map[TeamKey]*Team{
		{"ns", "sales"}: {Members: []routing.Candidate{member("ae-1", 10), member("ae-2", 10), member("ae-3", 10)}, Calendar: cal, Manager: "sales-lead"},
		{"ns", "sdr"}:   {Members: []routing.Candidate{member("sdr-1", 2), member("sdr-2", 2)}, Calendar: cal, Manager: "sdr-lead"},
	}}}
	f.in.Policies = []*Policy{{
		Policy: &routing.Policy{Namespace: "ns", Name: "inbound", Generation: 3, Priority: 10,
			Qualification: scoreOver(60), DisqualifyReason: "score below 60",
			Rules: []routing.Rule{
				{Name: "owners", Team: "sales", Strategy: routing.AccountOwner},
				{Name: "big", When: bigCompany, Team: "sales", Strategy: routing.RoundRobin},
				{Name: "rest", Team: "sdr", Strategy: routing.LeastLoaded},
			}},
		SLA:      &sla.Spec{FirstTouch: &sla.Target{Within: time.Hour, WarnBefore: 15 * time.Minute}, Acceptance: &sla.Target{Within: 24 * time.Hour, WallClock: true}},
		OnBreach: OnBreach{Reassign: true, MaxReassignments: 1, EscalateToManager: true},
	}}
	for _, m := range mutate {
		m(f)
	}
	if f.world == nil {
		f.world = NewWorld(f.in.Teams, nil, nil, map[string]string{"acme.example": "ae-2", "gone.example": "nobody"})
	}
	return f
}

func newLead(mutate ...func(*lead.Lead)) *lead.Lead {
	l := &lead.Lead{ID: "L1", Stage: lead.StageNew, Score: 80, Employees: 10, Version: 1, CreatedAt: now.Add(-time.Minute), UpdatedAt: now.Add(-time.Minute)}
	for _, m := range mutate {
		m(l)
	}
	return l
}

func TestDecide(t *testing.T) {
	deadline := now.Add(time.Hour) // one business hour from Monday 10:00 New York
	cases := []struct {
		name    string
		fixture []func(*fixture)
		lead    []func(*lead.Lead)
		outcome routing.Outcome
		ok      bool
		owner   string
		stage   lead.Stage
		events  string
		check   func(t *testing.T, l *lead.Lead, data []map[string]any)
	}{
		{name: "gate passes, least-loaded SDR", outcome: routing.Routed, ok: true, owner: "sdr-1", stage: lead.StageRouted, events: "qualified,routed",
			check: func(t *testing.T, l *lead.Lead, data []map[string]any) {
				if l.FirstTouchDue == nil || !l.FirstTouchDue.Equal(deadline) || l.FirstTouchWarn == nil || !l.FirstTouchWarn.Equal(deadline.Add(-15*time.Minute)) {
					t.Fatalf("first touch due %v warn %v, want %v and 15m before", l.FirstTouchDue, l.FirstTouchWarn, deadline)
				}
				if l.AcceptanceDue == nil || !l.AcceptanceDue.Equal(now.Add(24*time.Hour)) {
					t.Fatalf("acceptance due %v, want 24h wall clock", l.AcceptanceDue)
				}
				if l.Team != "ns/sdr" || l.Policy != "ns/inbound" || l.Rule != "rest" || l.QualifiedAt == nil || !l.RoutedAt.Equal(now) {
					t.Fatalf("lead %+v", l)
				}
				if data[1]["generation"] != int64(3) || data[1]["strategy"] != routing.LeastLoaded {
					t.Fatalf("routed audit data %v", data[1])
				}
			}},
		{name: "gate fails", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Score = 59 }}, outcome: routing.Disqualified, ok: true, stage: lead.StageDisqualified, events: "disqualified",
			check: func(t *testing.T, l *lead.Lead, _ []map[string]any) {
				if l.Reason != "score below 60" || l.Policy != "ns/inbound" {
					t.Fatalf("reason %q policy %q", l.Reason, l.Policy)
				}
			}},
		{name: "gate error disqualifies with the error", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].Qualification = broken }},
			outcome: routing.Disqualified, ok: true, stage: lead.StageDisqualified, events: "disqualified",
			check: func(t *testing.T, l *lead.Lead, data []map[string]any) {
				if !strings.Contains(l.Reason, "could not be evaluated: no such key") || data[0]["expressionErrors"] == nil {
					t.Fatalf("reason %q data %v", l.Reason, data[0])
				}
			}},
		{name: "qualified under an earlier generation, now fails the gate: keeps waiting", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Stage, l.Score = lead.StageQualified, 10 }},
			outcome: routing.Disqualified, ok: false},
		{name: "account owner takes the lead", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Domain = "acme.example" }},
			outcome: routing.Routed, ok: true, owner: "ae-2", stage: lead.StageRouted, events: "qualified,routed"},
		{name: "account matched by company name takes the lead, recorded in the audit entry", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, nil, nil, nil)
			f.world.SetAccountMatch("L1", accountmatch.Match{Account: store.Account{Domain: "acme.example", Owner: "ae-3"},
				Basis: accountmatch.ByCompanyName, On: "ACME, Inc.", Confidence: accountmatch.CompanyConfidence})
		}}, lead: []func(*lead.Lead){func(l *lead.Lead) { l.Company = "ACME, Inc." }},
			outcome: routing.Routed, ok: true, owner: "ae-3", stage: lead.StageRouted, events: "qualified,routed",
			check: func(t *testing.T, _ *lead.Lead, data []map[string]any) {
				acct, _ := data[1]["account"].(map[string]any)
				if acct["basis"] != "company name" || acct["confidence"] != accountmatch.CompanyConfidence || acct["domain"] != "acme.example" ||
					acct["match"] != "matched account acme.example by company name 'ACME, Inc.'" {
					t.Fatalf("routed audit data %v", data[1])
				}
			}},
		{name: "account owner not a member: next rule", lead: []func(*lead.Lead){func(l *lead.Lead) { l.Domain, l.Employees = "gone.example", 5000 }},
			outcome: routing.Routed, ok: true, owner: "ae-1", events: "qualified,routed"},
		{name: "account owner at capacity: next rule", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, map[string]int{"ae-2": 10}, nil, map[string]string{"acme.example": "ae-2"})
		}}, lead: []func(*lead.Lead){func(l *lead.Lead) { l.Domain = "acme.example" }},
			outcome: routing.Routed, ok: true, owner: "sdr-1"},
		{name: "round robin continues after the last assignee", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, nil, map[string]map[string]routing.RuleState{"ns/inbound": {"big": {Last: "ae-1"}}}, nil)
		}}, lead: []func(*lead.Lead){func(l *lead.Lead) { l.Employees = 5000 }}, outcome: routing.Routed, ok: true, owner: "ae-2"},
		{name: "weighted follows the weights", fixture: []func(*fixture){func(f *fixture) {
			f.in.Policies[0].Rules[1].Strategy = routing.Weighted
			f.in.Teams[TeamKey{"ns", "sales"}].Members[2].Weight = 8
			f.world = NewWorld(f.in.Teams, nil, map[string]map[string]routing.RuleState{"ns/inbound": {"big": {Assigned: map[string]int64{"ae-1": 1, "ae-2": 1, "ae-3": 2}}}}, nil)
		}}, lead: []func(*lead.Lead){func(l *lead.Lead) { l.Employees = 5000 }}, outcome: routing.Routed, ok: true, owner: "ae-3"},
		{name: "least loaded picks the emptier member", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, map[string]int{"sdr-1": 1}, nil, nil)
		}}, outcome: routing.Routed, ok: true, owner: "sdr-2"},
		{name: "every member full: queued and qualified", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, map[string]int{"sdr-1": 2, "sdr-2": 2}, nil, nil)
		}}, outcome: routing.Queued, ok: true, stage: lead.StageQualified, events: "qualified,queued",
			check: func(t *testing.T, l *lead.Lead, _ []map[string]any) {
				if l.Owner != "" || l.Team != "ns/sdr" || l.Rule != "rest" || l.FirstTouchDue != nil {
					t.Fatalf("queued lead %+v", l)
				}
			}},
		{name: "still full: nothing new to record", fixture: []func(*fixture){func(f *fixture) {
			f.world = NewWorld(f.in.Teams, map[string]int{"sdr-1": 2, "sdr-2": 2}, nil, nil)
		}}, lead: []func(*lead.Lead){func(l *lead.Lead) {
			l.Stage, l.Policy, l.Team, l.Rule, l.QualifiedAt = lead.StageQualified, "ns/inbound", "ns/sdr", "rest", &now
		}}, outcome: routing.Queued, ok: false},
		{name: "queued lead gets room: routed without a second qualification", lead: []func(*lead.Lead){func(l *lead.Lead) {
			l.Stage, l.Policy, l.Team, l.Rule, l.QualifiedAt = lead.StageQualified, "ns/inbound", "ns/sdr", "rest", &now
		}}, outcome: routing.Routed, ok: true, owner: "sdr-1", events: "routed"},
		{name: "all members away: queued, not full", fixture: []func(*fixture){func(f *fixture) {
			for i := range f.in.Teams[TeamKey{"ns", "sdr"}].Members {
				f.in.Teams[TeamKey{"ns", "sdr"}].Members[i].Available = false
			}
		}}, outcome: routing.Queued, ok: true, events: "qualified,queued"},
		{name: "no policy selects the lead", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].Selector = never }}, outcome: routing.Unmatched, ok: false},
		{name: "higher priority policy wins", fixture: []func(*fixture){func(f *fixture) {
			f.in.Policies = append(f.in.Policies, &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "vip", Priority: 20,
				Rules: []routing.Rule{{Name: "all", Team: "sales", Strategy: routing.RoundRobin}}}})
		}}, outcome: routing.Routed, ok: true, owner: "ae-1",
			check: func(t *testing.T, l *lead.Lead, _ []map[string]any) {
				if l.Policy != "ns/vip" || l.FirstTouchDue != nil {
					t.Fatalf("policy %q, deadlines %v: want ns/vip without SLA", l.Policy, l.FirstTouchDue)
				}
			}},
		{name: "equal priority: namespace/name order", fixture: []func(*fixture){func(f *fixture) {
			f.in.Policies = append(f.in.Policies, &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "aaa", Priority: 10,
				Rules: []routing.Rule{{Name: "all", Team: "sales"}}}})
		}}, outcome: routing.Routed, ok: true, owner: "ae-1"},
		{name: "selector error: next policy, error in the audit", fixture: []func(*fixture){func(f *fixture) {
			f.in.Policies = append(f.in.Policies, &Policy{Policy: &routing.Policy{Namespace: "ns", Name: "broken", Priority: 99, Selector: broken,
				Rules: []routing.Rule{{Name: "all", Team: "sales"}}}})
		}}, outcome: routing.Routed, ok: true, owner: "sdr-1",
			check: func(t *testing.T, l *lead.Lead, data []map[string]any) {
				errs, _ := data[0]["expressionErrors"].([]string)
				if len(errs) != 1 || !strings.Contains(errs[0], "policy ns/broken spec.selector: no such key") {
					t.Fatalf("expressionErrors %v", data[0]["expressionErrors"])
				}
			}},
		{name: "rule expression error: next rule", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].Rules[1].When = broken }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.Employees = 5000 }}, outcome: routing.Routed, ok: true, owner: "sdr-1"},
		{name: "missing team: next rule, skipped in the audit", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].Rules[1].Team = "ghost" }},
			lead: []func(*lead.Lead){func(l *lead.Lead) { l.Employees = 5000 }}, outcome: routing.Routed, ok: true, owner: "sdr-1",
			check: func(t *testing.T, _ *lead.Lead, data []map[string]any) {
				if s, _ := data[1]["skippedRules"].([]string); len(s) != 1 || !strings.Contains(s[0], `Team "ghost" does not exist`) {
					t.Fatalf("skippedRules %v", data[1]["skippedRules"])
				}
			}},
		{name: "no rule matches: waits in the policy without a team", fixture: []func(*fixture){func(f *fixture) {
			f.in.Policies[0].Rules = f.in.Policies[0].Rules[1:2]
		}}, outcome: routing.NoRule, ok: true, stage: lead.StageQualified, events: "qualified,queued",
			check: func(t *testing.T, l *lead.Lead, _ []map[string]any) {
				if l.Team != "" || l.Rule != "" || l.Policy != "ns/inbound" {
					t.Fatalf("lead %+v", l)
				}
			}},
		{name: "wall-clock SLA counts every hour", fixture: []func(*fixture){func(f *fixture) { f.in.Policies[0].SLA.FirstTouch.WallClock = true }},
			outcome: routing.Routed, ok: true,
			check: func(t *testing.T, l *lead.Lead, _ []map[string]any) {
				if !l.FirstTouchDue.Equal(now.Add(time.Hour)) {
					t.Fatalf("due %v", l.FirstTouchDue)
				}
			}},
		{name: "business-hours SLA after hours waits for the morning", fixture: []func(*fixture){func(f *fixture) { f.in.Now = now.Add(8 * time.Hour) }},
			outcome: routing.Routed, ok: true,
			check: func(t *testing.T, l *lead.Lead, _ []map[string]any) {
				want := time.Date(2027, 2, 2, 15, 0, 0, 0, time.UTC) // Tuesday 10:00 New York
				if !l.FirstTouchDue.Equal(want) {
					t.Fatalf("due %v, want %v", l.FirstTouchDue, want)
				}
			}},
		{name: "business-hours SLA on a team without calendar: routed, SLA error recorded", fixture: []func(*fixture){func(f *fixture) {
			f.in.Teams[TeamKey{"ns", "sdr"}].Calendar = nil
		}}, outcome: routing.Routed, ok: true, owner: "sdr-1",
			check: func(t *testing.T, l *lead.Lead, data []map[string]any) {
				if l.FirstTouchDue != nil || !strings.Contains(data[1]["slaError"].(string), "without a team calendar") {
					t.Fatalf("due %v data %v", l.FirstTouchDue, data[1])
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.fixture...)
			l := newLead(tc.lead...)
			before := *l
			d, ch, ok, err := Decide(f.in, f.world, l)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tc.outcome || ok != tc.ok {
				t.Fatalf("outcome %s ok %v (%s); want %s ok %v", d.Outcome, ok, d.Reason, tc.outcome, tc.ok)
			}
			if l.Stage != before.Stage || l.Owner != before.Owner {
				t.Fatal("Decide changed its input lead")
			}
			if !ok {
				return
			}
			got := ch.Lead
			if tc.owner != "" && got.Owner != tc.owner {
				t.Fatalf("owner %q, want %q (%s)", got.Owner, tc.owner, d.Reason)
			}
			if tc.stage != "" && got.Stage != tc.stage {
				t.Fatalf("stage %s, want %s", got.Stage, tc.stage)
			}
			var types []string
			var data []map[string]any
			for _, e := range ch.Events {
				types = append(types, e.Type)
				data = append(data, e.Data)
				if e.Actor != Actor || !e.At.Equal(f.in.Now) {
					t.Fatalf("event %+v: want actor %s at the pass's instant", e, Actor)
				}
			}
			if tc.events != "" && strings.Join(types, ",") != tc.events {
				t.Fatalf("events %v, want %s", types, tc.events)
			}
			if tc.check != nil {
				tc.check(t, got, data)
			}
		})
	}
}

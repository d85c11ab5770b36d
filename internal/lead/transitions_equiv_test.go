package lead

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// The functions below restate, on the lead's fields only, what the controller wrote by hand before
// these transitions existed (controllers/router_controller.go decisionChange, router_sla.go
// breachChange and escalate, sla_schedule.go handoff.apply, as of commit 9487e7f). The router's
// switch to the transitions must not change a lead's state: these tests hold them to that.

func handApplyHandoff(l *Lead, d Deadlines) {
	l.FirstTouchDue, l.FirstTouchWarn = d.FirstTouchDue, d.FirstTouchWarn
	l.AcceptanceDue, l.AcceptanceWarn = d.AcceptanceDue, d.AcceptanceWarn
	l.FirstTouchBreachedAt, l.AcceptanceBreachedAt = nil, nil
}

// handDecision is decisionChange for a new or waiting lead: outcome "disqualified", "routed" or
// "queued"; ok false where it recorded nothing.
func handDecision(l Lead, outcome, policy, team, rule, member, reason string, now time.Time, d Deadlines) (Lead, bool) {
	next := l
	if outcome == "disqualified" {
		if l.Stage != StageNew {
			return l, false
		}
		next.Stage, next.Policy, next.Reason = StageDisqualified, policy, reason
		return next, true
	}
	if l.Stage == StageNew {
		next.Stage, next.QualifiedAt, next.Policy = StageQualified, &now, policy
	}
	switch outcome {
	case "routed":
		if next.Stage != StageQualified {
			return l, false
		}
		next.Stage, next.RoutedAt, next.TouchedAt = StageRouted, &now, nil
		next.Owner, next.Team, next.Policy, next.Rule = member, team, policy, rule
		handApplyHandoff(&next, d)
	case "queued":
		if l.Stage != StageNew && l.Team == team && l.Policy == policy && l.Rule == rule {
			return l, false
		}
		next.Policy, next.Team, next.Rule = policy, team, rule
	}
	return next, true
}

// handBreach is breachChange then escalate: action "reassigned" (to member, with deadlines d),
// "escalated" (to member, the manager) or "" (record only).
func handBreach(l Lead, now time.Time, action, member string, d Deadlines) (Lead, []SLAKind) {
	next := l
	next.PreviousOwners = append([]string(nil), l.PreviousOwners...)
	var sla []SLAKind
	breach := func(kind SLAKind, mark **time.Time) {
		at := now
		*mark = &at
		next.BreachCount++
		if next.LastBreachAt == nil || at.After(*next.LastBreachAt) {
			next.LastBreachAt = &at
		}
		sla = append(sla, kind)
	}
	open := l.Stage == StageRouted || l.Stage == StageTouched
	if l.Stage == StageRouted && l.FirstTouchDue != nil && !l.FirstTouchDue.After(now) && l.FirstTouchBreachedAt == nil {
		breach(SLAFirstTouch, &next.FirstTouchBreachedAt)
	}
	if open && l.AcceptanceDue != nil && !l.AcceptanceDue.After(now) && l.AcceptanceBreachedAt == nil {
		breach(SLAAcceptance, &next.AcceptanceBreachedAt)
	}
	if len(sla) == 0 {
		return l, nil
	}
	switch action {
	case "reassigned":
		next.PreviousOwners = append(next.PreviousOwners, l.Owner)
		next.Owner, next.Stage, next.RoutedAt, next.TouchedAt = member, StageRouted, &now, nil
		next.ReassignmentCount++
		handApplyHandoff(&next, d)
	case "escalated":
		if member != "" && l.Owner != member {
			next.PreviousOwners = append(next.PreviousOwners, l.Owner)
			next.Owner = member
		}
	}
	return next, sla
}

// viaTransitions is what the router does with the transitions: the same decisions, one call each.
func decisionViaTransitions(l Lead, outcome, policy, team, rule, member, reason string, now time.Time, d Deadlines) (Lead, error) {
	if outcome == "disqualified" {
		return DisqualifyByPolicy(l, policy, reason)
	}
	var err error
	if l.Stage == StageNew {
		if l, err = QualifyByPolicy(l, policy, now); err != nil {
			return l, err
		}
	}
	if outcome == "routed" {
		return Route(l, member, team, policy, rule, now, d)
	}
	return Queue(l, policy, team, rule)
}

func breachViaTransitions(l Lead, now time.Time, action, member string, d Deadlines) (Lead, []SLAKind, error) {
	var sla []SLAKind
	for _, k := range SLAKinds {
		if !BreachDue(l, k, now) {
			continue
		}
		var err error
		if l, err = RecordBreach(l, k, now); err != nil {
			return l, nil, err
		}
		sla = append(sla, k)
	}
	if len(sla) == 0 {
		return l, nil, nil
	}
	var err error
	switch action {
	case "reassigned":
		l, err = Reassign(l, member, now, d)
	case "escalated":
		l, err = Escalate(l, member)
	}
	return l, sla, err
}

func TestTransitionsReproduceTheControllersHandWrittenState(t *testing.T) {
	fx := fixtures()
	policy, team, rule := "default/inbound", "default/sdr", "everyone-else"
	for _, tc := range []struct {
		name    string
		in      Lead
		outcome string
	}{
		{"new lead routed (via qualified)", fx[StageNew], "routed"},
		{"waiting lead routed", fx[StageQualified], "routed"},
		{"new lead queued", fx[StageNew], "queued"},
		{"waiting lead queued elsewhere", fx[StageQualified], "queued"},
		{"new lead disqualified", fx[StageNew], "disqualified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, ok := handDecision(deepCopy(tc.in), tc.outcome, policy, team, rule, "sdr-2", "score below 60", later, fresh)
			if !ok {
				t.Fatal("the hand-written decision recorded nothing")
			}
			got, err := decisionViaTransitions(deepCopy(tc.in), tc.outcome, policy, team, rule, "sdr-2", "score below 60", later, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("\n got %+v\nwant %+v", got, want)
			}
		})
	}

	breachedFT := deepCopy(fx[StageRouted])
	breachedFT.FirstTouchBreachedAt, breachedFT.BreachCount, breachedFT.LastBreachAt = ptr(later), 2, ptr(later)
	for _, tc := range []struct {
		name   string
		in     Lead
		now    time.Time
		action string
		member string
	}{
		{"first touch breached, recorded only", fx[StageRouted], later, "", ""},
		{"first touch breached, reassigned", fx[StageRouted], later, "reassigned", "sdr-2"},
		{"first touch breached, escalated", fx[StageRouted], later, "escalated", "sdr-manager"},
		{"both breached at once, reassigned", fx[StageRouted], muchLate, "reassigned", "sdr-2"},
		{"both breached at once, escalated", fx[StageRouted], muchLate, "escalated", "sdr-manager"},
		{"acceptance breached while touched, reassigned", fx[StageTouched], muchLate, "reassigned", "sdr-2"},
		{"acceptance after an earlier first-touch breach", breachedFT, muchLate, "", ""},
		{"acceptance after an escalated first-touch breach", breachedFT, muchLate, "escalated", "sdr-manager"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantSLA := handBreach(deepCopy(tc.in), tc.now, tc.action, tc.member, fresh)
			got, gotSLA, err := breachViaTransitions(deepCopy(tc.in), tc.now, tc.action, tc.member, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotSLA, wantSLA) || len(gotSLA) == 0 {
				t.Fatalf("breached %v, want %v", gotSLA, wantSLA)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("\n got %+v\nwant %+v", got, want)
			}
		})
	}

	// BreachDue answers "breach this SLA now?" as breachChange did, in every stage and at every time.
	for _, l := range append(valuesOf(fx), breachedFT) {
		for _, now := range []time.Time{t0, ftDue, later, accDue, muchLate} {
			_, handSLA := handBreach(l, now, "", "", fresh)
			for _, k := range SLAKinds {
				if got, want := BreachDue(l, k, now), slices.Contains(handSLA, k); got != want {
					t.Errorf("%s at %s, %s: BreachDue %v, hand-written %v", l.Stage, now, k, got, want)
				}
			}
		}
	}
}

func valuesOf(m map[Stage]Lead) []Lead {
	var out []Lead
	for _, st := range Stages {
		out = append(out, m[st])
	}
	return out
}

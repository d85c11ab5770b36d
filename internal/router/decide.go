package router

import (
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/sla"
	"github.com/leadops/leadops/internal/store"
)

// Actor is the audit actor of every decision the router makes.
const Actor = "controller"

// snapshot is what a decision reads besides the lead: the policies by key, the world, the instant.
type snapshot struct {
	policies map[string]*Policy
	world    *World
	now      time.Time
}

// DecideArm is Decide that also says which experiment and arm governed the lead ("" for none).
func DecideArm(in Input, w *World, l *lead.Lead) (d routing.Decision, change store.Decision, experiment, armName string, ok bool, err error) {
	d, change, ok, err = Decide(in, w, l)
	xs := in.experiments()
	a := assignArm(xs, l, celenv.FromLead(l), in.Now)
	return d, change, a.experiment, a.name, ok, err
}

// Decide decides one lead on a snapshot and returns the routing decision and the lead's new state with
// its audit entries, without writing anything; ok is false when there is nothing new to record. The
// world is updated as if the decision were committed, so a caller deciding several leads in turn sees
// the same loads and turns a pass would. It is the entry point for previews and tests.
func Decide(in Input, w *World, l *lead.Lead) (d routing.Decision, change store.Decision, ok bool, err error) {
	ps, rps, _ := in.sorted()
	xs := in.experiments()
	s := &snapshot{policies: withArmPolicies(byKey(ps), xs), world: w, now: in.Now}
	m, a := matchLead(xs, rps, l, in.Now)
	d = routing.Assign(m, w, nil)
	d, change, ok, err = s.decideLead(l, d, nil)
	if ok && err == nil {
		tagArm(&change, l, a)
		s.commitToWorld(d)
	}
	return d, change, ok, err
}

func byKey(ps []*Policy) map[string]*Policy {
	m := make(map[string]*Policy, len(ps))
	for _, p := range ps {
		m[p.Key()] = p
	}
	return m
}

// commitToWorld lets later decisions of the pass see a routed lead's assignment.
func (s *snapshot) commitToWorld(d routing.Decision) {
	if d.Outcome == routing.Routed {
		st := d.Pick.State
		s.world.assign(d.Pick.Member, d.Policy.Key(), d.Rule.Name, &st)
	}
}

// decisionChange turns a routing decision into the lead's new state and its audit entries, through
// internal/lead's transitions; ok is false when there is nothing new to record (a lead still waiting
// where it waited, or qualified under an earlier generation and waiting).
func (s *snapshot) decisionChange(l *lead.Lead, d routing.Decision) (store.Decision, bool, error) {
	if d.Policy == nil {
		return store.Decision{}, false, nil // no policy selects the lead: it stays new
	}
	now := s.now
	key := d.Policy.Key()
	base := map[string]any{"policy": key, "generation": d.Policy.Generation}
	if len(d.EvalErrors) > 0 {
		errs := make([]string, len(d.EvalErrors))
		for i, e := range d.EvalErrors {
			errs[i] = e.String()
		}
		base["expressionErrors"] = errs
	}
	if len(d.Skipped) > 0 {
		base["skippedRules"] = d.Skipped
	}
	event := func(typ, reason string, extra map[string]any) store.AuditEvent {
		data := make(map[string]any, len(base)+len(extra))
		for k, v := range base {
			data[k] = v
		}
		for k, v := range extra {
			data[k] = v
		}
		return store.AuditEvent{Actor: Actor, At: now, Type: typ, Reason: reason, Data: data}
	}
	var ch store.Decision
	if d.Outcome == routing.Disqualified {
		if l.Stage != lead.StageNew {
			return ch, false, nil
		}
		next, err := lead.DisqualifyByPolicy(*l, key, d.Reason)
		if err != nil {
			return ch, false, err
		}
		return store.Decision{Lead: &next, Events: []store.AuditEvent{event(lead.EventDisqualified, d.Reason, nil)}}, true, nil
	}
	if d.Outcome != routing.Routed && d.Outcome != routing.Queued && d.Outcome != routing.NoRule {
		return ch, false, nil
	}
	next := *l
	if l.Stage == lead.StageNew {
		// Qualification is its own audit entry: the lead is an MQL even while it waits for room.
		var err error
		if next, err = lead.QualifyByPolicy(next, key, now); err != nil {
			return ch, false, err
		}
		ch.Events = append(ch.Events, event(lead.EventQualified, "passed the qualification gate of policy "+key, nil))
	}
	team, rule := "", ""
	if d.Rule != nil {
		team, rule = TeamKey{Namespace: d.Policy.Namespace, Name: d.Rule.Team}.String(), d.Rule.Name
	}
	switch d.Outcome {
	case routing.Routed:
		if next.Stage != lead.StageQualified {
			return ch, false, nil
		}
		if l.Stage == lead.StageNew {
			ch.Via = []lead.Stage{lead.StageQualified}
		}
		extra := map[string]any{
			"rule": rule, "strategy": strategyOf(d.Rule), "team": team, "owner": d.Pick.Member,
			"why": d.Pick.Why, "candidates": d.Pick.Considered,
		}
		reason := d.Reason
		if d.Rule.Strategy == routing.AccountOwner {
			if m, ok := s.world.accountMatch(l.ID); ok {
				reason += "; " + m.String()
				extra["account"] = map[string]any{
					"domain": m.Account.Domain, "basis": string(m.Basis), "on": m.On,
					"confidence": m.Confidence, "match": m.String(),
				}
				if m.Ties > 0 {
					extra["account"].(map[string]any)["ties"] = m.Ties
				}
			}
		}
		deadlines, slaErr := s.schedule(key, TeamKey{Namespace: d.Policy.Namespace, Name: d.Rule.Team})
		if slaErr != nil {
			extra["slaError"] = slaErr.Error()
		}
		var err error
		if next, err = lead.Route(next, d.Pick.Member, team, key, rule, now, deadlines); err != nil {
			return ch, false, err
		}
		ch.Events = append(ch.Events, event(lead.EventRouted, reason, extra))
	default: // Queued, NoRule
		if l.Stage != lead.StageNew && l.Team == team && l.Policy == key && l.Rule == rule {
			return ch, false, nil
		}
		var err error
		if next, err = lead.Queue(next, key, team, rule); err != nil {
			return ch, false, err
		}
		ch.Events = append(ch.Events, event(lead.EventQueued, d.Reason, map[string]any{"rule": rule, "team": team}))
	}
	ch.Lead = &next
	return ch, true, nil
}

// schedule computes the deadlines of a handoff that policy starts now on team. An SLA that cannot be
// scheduled (a business-hours SLA on a team without a calendar) yields none, with the error for the
// audit entry: the lead is routed all the same.
func (s *snapshot) schedule(policy string, team TeamKey) (lead.Deadlines, error) {
	p := s.policies[policy]
	if p == nil || p.SLA == nil {
		return lead.Deadlines{}, nil
	}
	var t *Team
	if t = s.world.team(team); t == nil {
		t = &Team{}
	}
	d, err := sla.Schedule(p.SLA, t.Calendar, s.now)
	if err != nil {
		return lead.Deadlines{}, fmt.Errorf("%w", err)
	}
	return d, nil
}

func strategyOf(r *routing.Rule) string {
	if r.Strategy == "" {
		return routing.RoundRobin
	}
	return r.Strategy
}

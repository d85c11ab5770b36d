package router

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// Action is what the router did with a breached handoff.
type Action string

const (
	// ActionNone: the breach is recorded; the policy says nothing more, or nobody can take the lead.
	ActionNone Action = "none"
	// ActionReassigned: another member got the lead with a fresh SLA.
	ActionReassigned Action = "reassigned"
	// ActionEscalated: the team's manager got the lead.
	ActionEscalated Action = "escalated"
)

// Breach is one lead's breach, recorded in this pass.
type Breach struct {
	LeadID string
	Policy string
	// SLAs breached now, with their deadlines.
	SLAs   []BreachedSLA
	Action Action
	// From is the owner who missed the deadline; To who has the lead now (empty for ActionNone).
	From, To string
	// Reassignments is the lead's reassignment count after this breach.
	Reassignments int
}

// BreachedSLA is one missed deadline.
type BreachedSLA struct {
	Kind lead.SLAKind
	Due  time.Time
}

// breachChange records the breaches of one due lead and reassigns or escalates it as its policy says;
// ok is false when nothing is due after all (its breaches already recorded).
func (s *snapshot) breachChange(l *lead.Lead) (ch store.Decision, b Breach, ok bool, err error) {
	now := s.now
	next := *l
	b = Breach{LeadID: l.ID, Policy: l.Policy, From: l.Owner, Action: ActionNone}
	var events []store.AuditEvent
	open := l.Stage == lead.StageRouted || l.Stage == lead.StageTouched
	for _, c := range []struct {
		kind     lead.SLAKind
		due      *time.Time
		recorded *time.Time
		open     bool
	}{
		{lead.SLAFirstTouch, l.FirstTouchDue, l.FirstTouchBreachedAt, l.Stage == lead.StageRouted},
		{lead.SLAAcceptance, l.AcceptanceDue, l.AcceptanceBreachedAt, open},
	} {
		if !c.open || c.due == nil || c.due.After(now) || c.recorded != nil {
			continue
		}
		if next, err = lead.RecordBreach(next, c.kind, now); err != nil {
			return ch, b, false, err
		}
		due := *c.due
		b.SLAs = append(b.SLAs, BreachedSLA{Kind: c.kind, Due: due})
		events = append(events, store.AuditEvent{Actor: Actor, At: now, Type: lead.EventBreached,
			Reason: fmt.Sprintf("%s SLA breached: due %s, overdue by %s", strings.ReplaceAll(string(c.kind), "_", "-"),
				due.UTC().Format(time.RFC3339), now.Sub(due).Round(time.Second)),
			Data: map[string]any{"sla": string(c.kind), "due": due.UTC(), "owner": l.Owner, "policy": l.Policy}})
	}
	if len(b.SLAs) == 0 {
		return ch, b, false, nil
	}
	if p := s.policies[l.Policy]; p != nil && p.SLA != nil {
		if next, events, err = s.escalate(l, next, p, events, &b); err != nil {
			return ch, b, false, err
		}
	}
	b.Reassignments = next.ReassignmentCount
	return store.Decision{Lead: &next, Events: events}, b, true, nil
}

// escalate reassigns the breached lead to another member by its rule's strategy (previous owners
// excluded) up to the policy's maxReassignments, else hands it to the team's manager. Either way the
// world follows: the previous owner's load is released, the new owner's counted, and a strategy's
// turn moves on, so a mass breach is spread as evenly as new leads are.
func (s *snapshot) escalate(l *lead.Lead, next lead.Lead, p *Policy, events []store.AuditEvent, b *Breach) (lead.Lead, []store.AuditEvent, error) {
	var rule *routing.Rule
	for i := range p.Rules {
		if p.Rules[i].Name == l.Rule {
			rule = &p.Rules[i]
		}
	}
	team := TeamKey{Namespace: p.Namespace}
	if rule != nil {
		team.Name = rule.Team
	} else if k, ok := ParseTeamKey(l.Team); ok {
		team = k
	}
	exclude := map[string]bool{l.Owner: true}
	for _, o := range l.PreviousOwners {
		exclude[o] = true
	}
	ob := p.OnBreach
	if ob.Reassign && l.ReassignmentCount < ob.MaxReassignments {
		strategy := routing.LeastLoaded
		if rule != nil && rule.Strategy != routing.AccountOwner {
			strategy = strategyOf(rule)
		}
		if cands, ok := s.world.Candidates(team.Namespace, team.Name); ok {
			state := s.world.RuleState(l.Policy, l.Rule)
			if pick, err := routing.Choose(strategy, cands, state, "", exclude); err == nil && pick.Member != "" {
				deadlines, slaErr := s.schedule(l.Policy, team)
				reassigned, err := lead.Reassign(next, pick.Member, s.now, deadlines)
				if err != nil {
					return next, events, err
				}
				data := map[string]any{"policy": l.Policy, "rule": l.Rule, "from": l.Owner, "to": pick.Member,
					"strategy": strategy, "why": pick.Why, "candidates": pick.Considered, "reassignment": reassigned.ReassignmentCount}
				if slaErr != nil {
					data["slaError"] = slaErr.Error()
				}
				events = append(events, store.AuditEvent{Actor: Actor, At: s.now, Type: lead.EventReassigned,
					Reason: fmt.Sprintf("reassigned from %s to %s after an SLA breach (%d of %d): %s", l.Owner, pick.Member,
						reassigned.ReassignmentCount, ob.MaxReassignments, pick.Why), Data: data})
				s.world.release(l.Owner)
				var turn *routing.RuleState
				if strategy == routing.RoundRobin || strategy == routing.Weighted {
					turn = &pick.State
				}
				s.world.assign(pick.Member, l.Policy, l.Rule, turn)
				b.Action, b.To = ActionReassigned, pick.Member
				return reassigned, events, nil
			}
		}
	}
	manager := ""
	if t := s.world.team(team); t != nil {
		manager = t.Manager
	}
	if ob.EscalateToManager && manager != "" && l.Owner != manager {
		escalated, err := lead.Escalate(next, manager)
		if err != nil {
			return next, events, err
		}
		events = append(events, store.AuditEvent{Actor: Actor, At: s.now, Type: lead.EventEscalated,
			Reason: fmt.Sprintf("escalated from %s to the team manager %s after an SLA breach", l.Owner, manager),
			Data:   map[string]any{"policy": l.Policy, "from": l.Owner, "to": manager, "team": team.String()}})
		s.world.release(l.Owner)
		s.world.assign(manager, "", "", nil)
		b.Action, b.To = ActionEscalated, manager
		return escalated, events, nil
	}
	return next, events, nil
}

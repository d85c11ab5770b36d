package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// SLA names as metrics and audit entries spell them.
const (
	slaFirstTouch = "first_touch"
	slaAcceptance = "acceptance"
)

// breachTally summarises one pass's breaches of one policy: one Warning Event per pass.
type breachTally struct {
	firstTouch, acceptance, reassigned, escalated int64
}

// enforceSLAs records every handoff whose deadline has come, once, and escalates it as its policy
// says: reassign to another member (excluding previous owners) up to maxReassignments, each with a
// fresh SLA, then hand it to the team's manager. The breach mark is written in the same
// compare-and-swap as the audit entry, so a restart or a second replica never records it twice.
func (r *RouterReconciler) enforceSLAs(ctx context.Context, p *pass) error {
	tallies := map[string]*breachTally{}
	// A recorded breach leaves the due list, so pages shrink it; stop when a page makes no progress.
	for {
		due, recorded, err := r.enforceSLAPage(ctx, p, tallies)
		if err != nil {
			return err
		}
		if due < r.BatchSize || recorded == 0 {
			break
		}
	}
	for key, t := range tallies {
		r.announceBreaches(key, t)
	}
	return nil
}

// enforceSLAPage handles one page of due handoffs and returns how many were due and recorded.
func (r *RouterReconciler) enforceSLAPage(ctx context.Context, p *pass, tallies map[string]*breachTally) (int, int, error) {
	due, err := r.Store.DueHandoffs(ctx, p.now, r.BatchSize)
	if err != nil {
		return 0, 0, fmt.Errorf("listing handoffs past their deadline: %w", err)
	}
	if len(due) == 0 {
		return 0, 0, nil
	}
	changes := make([]store.Decision, 0, len(due))
	kinds := make([][]string, 0, len(due))
	actions := make([]string, 0, len(due))
	for _, l := range due {
		ch, sla, action := p.breachChange(l)
		if p.world.err != nil {
			return 0, 0, fmt.Errorf("reading routing state from the lead store: %w", p.world.err)
		}
		if len(sla) == 0 {
			continue
		}
		changes, kinds, actions = append(changes, ch), append(kinds, sla), append(actions, action)
	}
	if len(changes) == 0 {
		return len(due), 0, nil
	}
	applied, _, err := r.Store.CommitDecisions(ctx, changes)
	if err != nil {
		r.states = map[string]*routing.RuleState{}
		return 0, 0, fmt.Errorf("recording %d SLA breaches: %w", len(changes), err)
	}
	ok := make(map[string]bool, len(applied))
	for _, l := range applied {
		ok[l.ID] = true
	}
	for i, ch := range changes {
		if !ok[ch.Lead.ID] {
			continue
		}
		key := ch.Lead.Policy
		t := tallies[key]
		if t == nil {
			t = &breachTally{}
			tallies[key] = t
		}
		for _, k := range kinds[i] {
			slaBreachesTotal.WithLabelValues(key, k).Inc()
			if k == slaFirstTouch {
				t.firstTouch++
			} else {
				t.acceptance++
			}
		}
		switch actions[i] {
		case "reassigned":
			t.reassigned++
		case "escalated":
			t.escalated++
		}
	}
	r.notifyBreachWebhooks(ctx, p, changes, actions, ok)
	return len(due), len(applied), nil
}

// breachChange builds the breach record (and reassignment or escalation) of one due lead. sla lists
// the SLAs breached now; action is "reassigned", "escalated" or "".
func (p *pass) breachChange(l *lead.Lead) (ch store.Decision, sla []string, action string) {
	now := p.now
	next := *l
	next.PreviousOwners = append([]string(nil), l.PreviousOwners...)
	policy := p.specs[l.Policy]
	var events []store.AuditEvent
	breach := func(kind string, due *time.Time, mark **time.Time) {
		at := now
		*mark = &at
		next.BreachCount++
		// When the breach was recorded, not its deadline: a controller that was down records late,
		// and SLABreached's window has to run from when the breach became known.
		if next.LastBreachAt == nil || at.After(*next.LastBreachAt) {
			next.LastBreachAt = &at
		}
		sla = append(sla, kind)
		events = append(events, store.AuditEvent{Actor: Actor, At: now, Type: "breached",
			Reason: fmt.Sprintf("%s SLA breached: due %s, overdue by %s", strings.ReplaceAll(kind, "_", "-"),
				due.UTC().Format(time.RFC3339), now.Sub(*due).Round(time.Second)),
			Data: map[string]any{"sla": kind, "due": due.UTC(), "owner": l.Owner, "policy": l.Policy}})
	}
	open := l.Stage == lead.StageRouted || l.Stage == lead.StageTouched
	if l.Stage == lead.StageRouted && l.FirstTouchDue != nil && !l.FirstTouchDue.After(now) && l.FirstTouchBreachedAt == nil {
		breach(slaFirstTouch, l.FirstTouchDue, &next.FirstTouchBreachedAt)
	}
	if open && l.AcceptanceDue != nil && !l.AcceptanceDue.After(now) && l.AcceptanceBreachedAt == nil {
		breach(slaAcceptance, l.AcceptanceDue, &next.AcceptanceBreachedAt)
	}
	if len(sla) == 0 {
		return ch, nil, ""
	}
	ch = store.Decision{Lead: &next}
	if policy != nil && policy.Spec.SLA != nil && policy.Spec.SLA.OnBreach != nil {
		action = p.escalate(l, &next, policy, &events)
	}
	ch.Events = events
	return ch, sla, action
}

// escalate reassigns next or hands it to the manager, per the policy's onBreach.
func (p *pass) escalate(l, next *lead.Lead, policy *leadopsv1.LeadPolicy, events *[]store.AuditEvent) string {
	onBreach := policy.Spec.SLA.OnBreach
	var rule *leadopsv1.RoutingRule
	for i := range policy.Spec.Rules {
		if policy.Spec.Rules[i].Name == l.Rule {
			rule = &policy.Spec.Rules[i]
		}
	}
	team := types.NamespacedName{Namespace: policy.Namespace}
	if rule != nil {
		team.Name = rule.TeamRef.Name
	} else if _, name, ok := strings.Cut(l.Team, "/"); ok {
		team.Name = name
	}
	exclude := map[string]bool{l.Owner: true}
	for _, o := range l.PreviousOwners {
		exclude[o] = true
	}
	if onBreach.Reassign && int32(l.ReassignmentCount) < onBreach.MaxReassignments {
		strategy := routing.LeastLoaded
		if rule != nil && rule.Strategy != leadopsv1.StrategyAccountOwner && rule.Strategy != "" {
			strategy = string(rule.Strategy)
		}
		if cands, ok := p.world.Candidates(team.Namespace, team.Name); ok {
			state := p.world.RuleState(l.Policy, l.Rule)
			if pick, err := routing.Choose(strategy, cands, state, "", exclude); err == nil && pick.Member != "" {
				next.PreviousOwners = append(next.PreviousOwners, l.Owner)
				next.Owner, next.Stage, next.RoutedAt, next.TouchedAt = pick.Member, lead.StageRouted, &p.now, nil
				next.ReassignmentCount++
				data := map[string]any{"policy": l.Policy, "rule": l.Rule, "from": l.Owner, "to": pick.Member,
					"strategy": strategy, "why": pick.Why, "candidates": pick.Considered, "reassignment": next.ReassignmentCount}
				if err := p.schedule(next, team.Namespace, team.Name); err != nil {
					data["slaError"] = err.Error()
				}
				*events = append(*events, store.AuditEvent{Actor: Actor, At: p.now, Type: "reassigned",
					Reason: fmt.Sprintf("reassigned from %s to %s after an SLA breach (%d of %d): %s", l.Owner, pick.Member,
						next.ReassignmentCount, onBreach.MaxReassignments, pick.Why), Data: data})
				p.world.assigned(pick.Member)
				return "reassigned"
			}
		}
	}
	manager := ""
	if v := p.world.views[team]; v != nil {
		manager = v.Manager
	}
	if onBreach.EscalateToManager && manager != "" && l.Owner != manager {
		next.PreviousOwners = append(next.PreviousOwners, l.Owner)
		next.Owner = manager
		*events = append(*events, store.AuditEvent{Actor: Actor, At: p.now, Type: "escalated",
			Reason: fmt.Sprintf("escalated from %s to the team manager %s after an SLA breach", l.Owner, manager),
			Data:   map[string]any{"policy": l.Policy, "from": l.Owner, "to": manager, "team": team.String()}})
		return "escalated"
	}
	return ""
}

func (r *RouterReconciler) announceBreaches(key string, t *breachTally) {
	ns, name, ok := strings.Cut(key, "/")
	if !ok {
		return
	}
	policy := types.NamespacedName{Namespace: ns, Name: name}
	r.Events.add(policy, "SLABreached", corev1.EventTypeWarning, "EnforceSLA", map[string]int64{
		slaFirstTouch: t.firstTouch, slaAcceptance: t.acceptance, "reassigned": t.reassigned, "escalated": t.escalated,
	}, "", breachNote)
	r.notify(r.PolicyChanged, &leadopsv1.LeadPolicy{}, policy)
}

// breachNote is the SLABreached Event's note for counts summed over window. The leads are not named:
// `leadctl list --policy NS/NAME --breached` lists them.
func breachNote(c map[string]int64, _ string, window time.Duration) string {
	total := c[slaFirstTouch] + c[slaAcceptance]
	verb := "breached their SLA"
	if total == 1 {
		verb = "breached its SLA"
	}
	msg := fmt.Sprintf("%s %s%s (%d first touch, %d acceptance)", plural(total, "handoff"), verb, overWindow(window),
		c[slaFirstTouch], c[slaAcceptance])
	if c["reassigned"]+c["escalated"] > 0 {
		msg += fmt.Sprintf("; %d reassigned, %d escalated to the manager", c["reassigned"], c["escalated"])
	}
	return msg
}

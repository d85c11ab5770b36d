package router

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// What routing does with a lead the store linked to an open original (lead.DuplicateOf), per the
// governing LeadPolicy's spec.duplicates.
const (
	// DuplicatesAttach (the default): the duplicate is not routed; it stays linked to its original
	// and leaves the queue through lead.AttachDuplicate.
	DuplicatesAttach = "Attach"
	// DuplicatesRouteToSameOwner: routed to the original's owner when that owner is an available
	// member with room of the team of the rule the lead matches, else routed normally.
	DuplicatesRouteToSameOwner = "RouteToSameOwner"
	// DuplicatesRoute: routed like any other lead.
	DuplicatesRoute = "Route"
)

func duplicateMode(p *Policy) string {
	if p == nil || p.Duplicates == "" {
		return DuplicatesAttach
	}
	return p.Duplicates
}

// leadReader is the store method the router reads originals with. It is optional: with a store
// that lacks it, originals are unknown, Attach attaches and RouteToSameOwner routes normally.
type leadReader interface {
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
}

// gatherOriginals reads the originals of the page's duplicates still awaiting their first decision
// or waiting for room, by id; an original the store does not have is absent.
func gatherOriginals(ctx context.Context, st Store, pending []*lead.Lead) (map[string]*lead.Lead, error) {
	rd, ok := st.(leadReader)
	if !ok {
		return nil, nil
	}
	var out map[string]*lead.Lead
	for _, l := range pending {
		if l.DuplicateOf == "" {
			continue
		}
		if out == nil {
			out = map[string]*lead.Lead{}
		}
		if _, seen := out[l.DuplicateOf]; seen {
			continue
		}
		o, err := rd.GetLead(ctx, l.DuplicateOf)
		switch {
		case errors.Is(err, store.ErrNotFound):
			o = nil
		case err != nil:
			return nil, fmt.Errorf("reading the original of duplicate lead %s: %w", l.ID, err)
		}
		out[l.DuplicateOf] = o
	}
	return out, nil
}

// isOpen reports whether an original is still open (lead.DuplicateStages).
func isOpen(o *lead.Lead) bool {
	for _, st := range lead.DuplicateStages {
		if o.Stage == st {
			return true
		}
	}
	return false
}

// decideLead turns a routing decision into the lead's change like decisionChange, applying the
// governing policy's spec.duplicates to a duplicate (originals: gatherOriginals, nil when unknown).
// It returns the decision as it stands after that: Disqualified for an attached duplicate, Routed
// to the original's owner for RouteToSameOwner when that owner can take the lead.
func (s *snapshot) decideLead(l *lead.Lead, d routing.Decision, originals map[string]*lead.Lead) (routing.Decision, store.Decision, bool, error) {
	passed := d.Outcome == routing.Routed || d.Outcome == routing.Queued || d.Outcome == routing.NoRule
	if l.DuplicateOf == "" || d.Policy == nil || !passed {
		ch, ok, err := s.decisionChange(l, d)
		return d, ch, ok, err
	}
	key := d.Policy.Key()
	pol := s.policies[key]
	mode := duplicateMode(pol)
	orig, known := originals[l.DuplicateOf]
	data := map[string]any{"policy": key, "generation": d.Policy.Generation, "mode": mode, "duplicateOf": l.DuplicateOf}
	note := func(reason string) store.AuditEvent {
		return store.AuditEvent{Actor: Actor, At: s.now, Type: lead.EventDuplicateHandled, Reason: reason, Data: data}
	}
	first := l.Stage == lead.StageNew
	var dupEvent *store.AuditEvent
	switch mode {
	case DuplicatesAttach:
		if !first {
			break
		}
		if known && orig != nil && !isOpen(orig) {
			ev := note(fmt.Sprintf("duplicate of lead %s, which is %s now: routed like a new lead (spec.duplicates Attach attaches to open leads only)", l.DuplicateOf, orig.Stage))
			dupEvent = &ev
			break
		}
		next, err := lead.AttachDuplicate(*l, key)
		if err != nil {
			return d, store.Decision{}, false, err
		}
		d.Outcome, d.Rule, d.Pick = routing.Disqualified, nil, routing.Pick{}
		d.Reason = fmt.Sprintf("duplicate of open lead %s: attached to it, not routed (policy %s spec.duplicates Attach)", l.DuplicateOf, key)
		return d, store.Decision{Lead: &next, Events: []store.AuditEvent{note(d.Reason)}}, true, nil
	case DuplicatesRouteToSameOwner:
		why := ""
		switch {
		case d.Rule == nil || d.Outcome == routing.NoRule:
			why = "no rule of the policy matches it"
		case !known || orig == nil:
			why = "the original is not known to the router"
		case orig.Owner == "" || !isOpen(orig):
			why = fmt.Sprintf("the original is %s with no owner to share", orig.Stage)
		default:
			cands, _ := s.world.Candidates(d.Policy.Namespace, d.Rule.Team)
			pick, _ := routing.Choose(routing.AccountOwner, cands, s.world.RuleState(key, d.Rule.Name), orig.Owner, nil)
			if pick.Member == "" {
				why = fmt.Sprintf("its owner %s is not an available member with room of team %q", orig.Owner, d.Rule.Team)
				break
			}
			pick.Why = "owns the original lead " + orig.ID
			pick.State = s.world.RuleState(key, d.Rule.Name) // the rule's turn does not move
			d.Outcome, d.Pick = routing.Routed, pick
			d.Reason = fmt.Sprintf("duplicate of lead %s: rule %q sent it to team %q, where the original's owner %s took it (spec.duplicates RouteToSameOwner)", orig.ID, d.Rule.Name, d.Rule.Team, orig.Owner)
			ev := note(fmt.Sprintf("duplicate of lead %s: routed to the original's owner %s", orig.ID, orig.Owner))
			dupEvent = &ev
		}
		if why != "" && first {
			ev := note(fmt.Sprintf("duplicate of lead %s: not routed to the original's owner (%s); routed normally", l.DuplicateOf, why))
			dupEvent = &ev
		}
	default: // DuplicatesRoute
		if first {
			ev := note(fmt.Sprintf("duplicate of lead %s: routed like any lead (spec.duplicates Route)", l.DuplicateOf))
			dupEvent = &ev
		}
	}
	ch, ok, err := s.decisionChange(l, d)
	if ok && err == nil && dupEvent != nil {
		ch.Events = append([]store.AuditEvent{*dupEvent}, ch.Events...)
	}
	return d, ch, ok, err
}

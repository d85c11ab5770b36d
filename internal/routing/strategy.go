// Package routing decides who gets a lead: which policy governs it, whether it passes the qualification
// gate, which rule applies and which member the rule's strategy picks. Pure Go: the store and the
// Kubernetes objects are translated to these types by the caller.
package routing

import (
	"fmt"
	"sort"
)

// Strategy names, as the LeadPolicy API spells them.
const (
	RoundRobin   = "RoundRobin"
	Weighted     = "Weighted"
	LeastLoaded  = "LeastLoaded"
	AccountOwner = "AccountOwner"
)

// Candidate is a team member as routing sees them at decision time.
type Candidate struct {
	Name      string
	Capacity  int
	Weight    int
	Open      int  // leads the member holds open now
	Available bool // enabled and not out of office
}

func (c Candidate) room() int { return c.Capacity - c.Open }

// Considered records why a member did or did not win, for the audit log.
type Considered struct {
	Name     string `json:"name"`
	Open     int    `json:"open"`
	Capacity int    `json:"capacity"`
	// Skipped is empty for an eligible member, else why it was passed over.
	Skipped string `json:"skipped,omitempty"`
}

// RuleState is what a rule remembers between decisions so round robin and weighted shares survive
// restarts: the store saves it in the same transaction as the assignment.
type RuleState struct {
	// Last is the member who received the previous lead (round robin).
	Last string `json:"last,omitempty"`
	// Assigned counts leads given to each member under this rule (weighted).
	Assigned map[string]int64 `json:"assigned,omitempty"`
}

// Pick is one strategy's answer.
type Pick struct {
	Member     string
	Why        string
	Considered []Considered
	// Full is true when the team had available members but every one was at capacity, so the lead
	// should wait in the queue rather than fall through to the next rule.
	Full  bool
	State RuleState
}

// eligible splits candidates into those who can take a lead now and the audit trail of everyone.
func eligible(cands []Candidate, exclude map[string]bool) (ok []Candidate, considered []Considered, anyAvailable bool) {
	sorted := append([]Candidate(nil), cands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, c := range sorted {
		rec := Considered{Name: c.Name, Open: c.Open, Capacity: c.Capacity}
		switch {
		case exclude[c.Name]:
			rec.Skipped = "previous owner"
		case !c.Available:
			rec.Skipped = "unavailable or out of office"
		case c.room() <= 0:
			anyAvailable = true
			rec.Skipped = "at capacity"
		default:
			anyAvailable = true
			ok = append(ok, c)
		}
		considered = append(considered, rec)
	}
	return ok, considered, anyAvailable
}

// Choose runs a strategy. owner is the account owner for AccountOwner (empty when the lead's domain
// matched no account). exclude lists members who must not get the lead (previous owners on
// reassignment). The returned Pick has Member == "" when nobody was chosen.
func Choose(strategy string, cands []Candidate, state RuleState, owner string, exclude map[string]bool) (Pick, error) {
	ok, considered, anyAvailable := eligible(cands, exclude)
	p := Pick{Considered: considered, State: state}
	if strategy == AccountOwner {
		return pickOwner(p, ok, owner), nil
	}
	if len(ok) == 0 {
		p.Full = anyAvailable
		return p, nil
	}
	switch strategy {
	case RoundRobin, "":
		return pickRoundRobin(p, ok), nil
	case Weighted:
		return pickWeighted(p, ok), nil
	case LeastLoaded:
		return pickLeastLoaded(p, ok), nil
	}
	return p, fmt.Errorf("unknown routing strategy %q", strategy)
}

// pickRoundRobin gives the lead to the first eligible member after the previous winner, in name order,
// so the order is stable across restarts and unaffected by who is temporarily skipped.
func pickRoundRobin(p Pick, ok []Candidate) Pick {
	winner := ok[0]
	for _, c := range ok {
		if c.Name > p.State.Last {
			winner = c
			break
		}
	}
	p.Member = winner.Name
	p.Why = "next in turn"
	p.State = RuleState{Last: winner.Name, Assigned: p.State.Assigned}
	return p
}

// pickWeighted gives the lead to the member furthest behind their weighted share: the smallest
// (assigned+1)/weight, compared exactly by cross-multiplication. Members with weight 0 get nothing.
func pickWeighted(p Pick, ok []Candidate) Pick {
	var winner *Candidate
	for i := range ok {
		c := &ok[i]
		if c.Weight <= 0 {
			continue
		}
		if winner == nil {
			winner = c
			continue
		}
		a := (p.State.Assigned[c.Name] + 1) * int64(winner.Weight)
		b := (p.State.Assigned[winner.Name] + 1) * int64(c.Weight)
		if a < b {
			winner = c
		}
	}
	if winner == nil {
		for i := range p.Considered {
			if p.Considered[i].Skipped == "" {
				p.Considered[i].Skipped = "weight 0"
			}
		}
		return p
	}
	assigned := make(map[string]int64, len(p.State.Assigned)+1)
	for k, v := range p.State.Assigned {
		assigned[k] = v
	}
	assigned[winner.Name]++
	p.Member = winner.Name
	p.Why = fmt.Sprintf("furthest behind their weighted share (weight %d, %d leads so far)", winner.Weight, assigned[winner.Name]-1)
	p.State = RuleState{Last: winner.Name, Assigned: assigned}
	return p
}

// pickLeastLoaded gives the lead to the member with the most room left; ties go to the fewest open
// leads, then to name order.
func pickLeastLoaded(p Pick, ok []Candidate) Pick {
	winner := ok[0]
	for _, c := range ok[1:] {
		if c.room() > winner.room() || (c.room() == winner.room() && c.Open < winner.Open) {
			winner = c
		}
	}
	p.Member = winner.Name
	p.Why = fmt.Sprintf("most room left (%d open of %d)", winner.Open, winner.Capacity)
	p.State.Last = winner.Name
	return p
}

// pickOwner gives the lead to the account's owner when they are an eligible member; otherwise nobody,
// and the caller moves on to the next rule (never queues: another rule can still take the lead).
func pickOwner(p Pick, ok []Candidate, owner string) Pick {
	if owner == "" {
		p.Why = "no account matches the lead's domain"
		return p
	}
	for _, c := range ok {
		if c.Name == owner {
			p.Member = c.Name
			p.Why = "owns the matching account"
			p.State.Last = c.Name
			return p
		}
	}
	p.Why = "the account owner is not an available member with room"
	return p
}

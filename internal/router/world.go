package router

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// World is the snapshot a pass decides on: teams with their members' open load, the turn of every
// rule, and the owners of the accounts of the leads being decided. Decisions read it and keep it
// current (assigned, released), so the leads of one pass see each other's assignments. Nothing in
// it reads the store: gathering happens before deciding.
type World struct {
	teams  map[TeamKey]*Team
	load   map[string]int
	states map[ruleKey]*routing.RuleState
	owners map[string]string
}

type ruleKey struct{ policy, rule string }

// NewWorld builds a snapshot from gathered data; states and owners may be nil. Tests and `leadctl
// preview` build one directly; Run gathers it from the store.
func NewWorld(teams map[TeamKey]*Team, load map[string]int, states map[string]map[string]routing.RuleState, owners map[string]string) *World {
	w := &World{teams: teams, load: load, states: map[ruleKey]*routing.RuleState{}, owners: owners}
	if w.load == nil {
		w.load = map[string]int{}
	}
	if w.owners == nil {
		w.owners = map[string]string{}
	}
	for p, rules := range states {
		for r, st := range rules {
			st := st
			w.states[ruleKey{p, r}] = &st
		}
	}
	return w
}

// Candidates returns the team's members with their current open load filled in.
func (w *World) Candidates(namespace, team string) ([]routing.Candidate, bool) {
	t, ok := w.teams[TeamKey{Namespace: namespace, Name: team}]
	if !ok {
		return nil, false
	}
	out := make([]routing.Candidate, len(t.Members))
	for i, c := range t.Members {
		c.Open = w.load[c.Name]
		out[i] = c
	}
	return out, true
}

// RuleState is the rule's turn as of this point of the pass.
func (w *World) RuleState(policyKey, rule string) routing.RuleState {
	if st := w.states[ruleKey{policyKey, rule}]; st != nil {
		return *st
	}
	return routing.RuleState{}
}

// AccountOwner is the owner of the account of domain, as gathered for the page ("" when none).
func (w *World) AccountOwner(domain string) string { return w.owners[domain] }

// assign moves one open lead onto member and, when it comes from a rule's strategy, the rule's turn.
func (w *World) assign(member string, policyKey, rule string, st *routing.RuleState) {
	w.load[member]++
	if st != nil && rule != "" {
		s := *st
		w.states[ruleKey{policyKey, rule}] = &s
	}
}

// release takes one open lead off member (reassigned or escalated away).
func (w *World) release(member string) {
	if w.load[member] > 0 {
		w.load[member]--
	}
}

func (w *World) team(k TeamKey) *Team { return w.teams[k] }

// gatherStates loads the turn of every rule that has none in memory from the store's history.
func gatherStates(ctx context.Context, st Store, policies []*Policy, states map[ruleKey]*routing.RuleState) error {
	for _, p := range policies {
		for _, r := range p.Rules {
			k := ruleKey{p.Key(), r.Name}
			if states[k] != nil || (r.Strategy != routing.RoundRobin && r.Strategy != routing.Weighted && r.Strategy != "") {
				continue
			}
			last, counts, err := st.RuleHistory(ctx, k.policy, k.rule)
			if err != nil {
				return fmt.Errorf("reading the turn of rule %s of policy %s: %w", k.rule, k.policy, err)
			}
			states[k] = &routing.RuleState{Last: last, Assigned: counts}
		}
	}
	return nil
}

// accountLookups bounds the concurrent account lookups of one page: the store's connection pool is
// shared with every other reconciler.
const accountLookups = 4

// gatherAccounts looks up, a few at a time, the account owner of every domain of the page that an
// AccountOwner rule may ask about. One lookup after another was a round trip per lead and most of the
// time of a large burst on PostgreSQL. skip tells which leads the pass will not decide.
func gatherAccounts(ctx context.Context, st Store, policies []*routing.Policy, page []*lead.Lead, owners map[string]string, skip func(*lead.Lead) bool) error {
	if !anyAccountOwnerRule(policies) {
		return nil
	}
	var todo []string
	seen := map[string]bool{}
	for _, l := range page {
		if _, known := owners[l.Domain]; known || l.Domain == "" || seen[l.Domain] || skip(l) {
			continue
		}
		seen[l.Domain] = true
		todo = append(todo, l.Domain)
	}
	if len(todo) == 0 {
		return nil
	}
	found := make([]string, len(todo))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range min(accountLookups, len(todo)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				a, err := st.GetAccount(ctx, todo[i])
				switch {
				case err == nil:
					found[i] = a.Owner
				case !errors.Is(err, store.ErrNotFound):
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("looking up the account of a lead's domain: %w", err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, d := range todo {
		owners[d] = found[i]
	}
	return nil
}

func anyAccountOwnerRule(policies []*routing.Policy) bool {
	for _, p := range policies {
		for _, r := range p.Rules {
			if r.Strategy == routing.AccountOwner {
				return true
			}
		}
	}
	return false
}

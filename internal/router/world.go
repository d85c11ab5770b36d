package router

import (
	"context"
	"fmt"

	"github.com/leadops/leadops/internal/accountmatch"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
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
	// accounts are the account matches of the page's leads by lead id (gatherAccounts); owners by
	// domain is what a World built by NewWorld knows instead.
	accounts map[string]accountmatch.Match
}

type ruleKey struct{ policy, rule string }

// NewWorld builds a snapshot from gathered data; states and owners may be nil. Tests and `leadctl
// preview` build one directly; Run gathers it from the store.
func NewWorld(teams map[TeamKey]*Team, load map[string]int, states map[string]map[string]routing.RuleState, owners map[string]string) *World {
	w := &World{teams: teams, load: load, states: map[ruleKey]*routing.RuleState{}, owners: owners, accounts: map[string]accountmatch.Match{}}
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

// AccountOwner is the owner of the account the lead matched, as gathered for the page ("" when none):
// its account match (by domain, subdomain or company name) when one was gathered, else the owner
// known for its domain.
func (w *World) AccountOwner(leadID, domain string) string {
	if m, ok := w.accounts[leadID]; ok {
		return m.Account.Owner
	}
	return w.owners[domain]
}

// SetAccountMatch records the account match of a lead (tests and previews; Run gathers them).
func (w *World) SetAccountMatch(leadID string, m accountmatch.Match) {
	if w.accounts == nil {
		w.accounts = map[string]accountmatch.Match{}
	}
	w.accounts[leadID] = m
}

// accountMatch is the account match gathered for a lead.
func (w *World) accountMatch(leadID string) (accountmatch.Match, bool) {
	m, ok := w.accounts[leadID]
	return m, ok
}

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

// gatherAccounts matches every lead of the page that an AccountOwner rule may ask about to its
// account (internal/accountmatch): one indexed store lookup for all the page's domains and company
// keys, then a pure match per lead. One lookup after another was a round trip per lead and most of
// the time of a large burst on PostgreSQL. skip tells which leads the pass will not decide.
func gatherAccounts(ctx context.Context, st Store, policies []*routing.Policy, page []*lead.Lead, matches map[string]accountmatch.Match, skip func(*lead.Lead) bool) error {
	if !anyAccountOwnerRule(policies) {
		return nil
	}
	var (
		domains, companies []string
		seen               = map[string]bool{}
		keys               = map[string]accountmatch.Keys{}
	)
	for _, l := range page {
		if skip(l) {
			continue
		}
		k := accountmatch.KeysOf(l.Domain, l.Email, l.Company)
		keys[l.ID] = k
		for _, d := range k.Domains() {
			if !seen["d:"+d] {
				seen["d:"+d] = true
				domains = append(domains, d)
			}
		}
		if c := k.CompanyKey; c != "" && !seen["c:"+c] {
			seen["c:"+c] = true
			companies = append(companies, c)
		}
	}
	if len(domains) == 0 && len(companies) == 0 {
		return nil
	}
	accounts, err := st.FindAccounts(ctx, domains, companies)
	if err != nil {
		return fmt.Errorf("looking up the accounts of the leads' domains and company names: %w", err)
	}
	for id, k := range keys {
		if m, ok := accountmatch.Find(k, accounts); ok {
			matches[id] = m
		} else {
			delete(matches, id)
		}
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

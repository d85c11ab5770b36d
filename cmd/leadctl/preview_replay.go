package main

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/leadops/leadops/internal/accountmatch"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/slaclock"
	"github.com/leadops/leadops/internal/store"
)

// previewStore is what preview reads from a store opened read-only.
type previewStore interface {
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error)
	GoalLeads(ctx context.Context, q store.GoalQuery, fn func(*lead.Lead) error) error
	LeadsOpenAt(ctx context.Context, t time.Time, fn func(*lead.Lead) error) error
	RuleHistoryAt(ctx context.Context, policy, rule string, t time.Time) (string, map[string]int64, error)
	FindAccounts(ctx context.Context, domains, companyKeys []string) ([]store.Account, error)
	Close() error
}

// Outcomes, as the report names them.
const (
	previewRouted       = "routed"
	previewQueued       = "queued"
	previewDisqualified = "disqualified"
	previewNoRule       = "norule"
	previewUnmatched    = "unmatched"
)

// previewSide is what happened to a lead (actual) or would happen under the proposal (proposed).
type previewSide struct {
	Outcome string `json:"outcome"`
	Policy  string `json:"policy,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Team    string `json:"team,omitempty"`
	Owner   string `json:"owner,omitempty"`
	// Stage is the lead's recorded stage (actual only).
	Stage string `json:"stage,omitempty"`
	// SLA is the first-touch outcome: met, missed or notouch under the proposal (estimated from the
	// recorded touch), met, breached or open as recorded; empty without a handoff or an SLA.
	SLA string `json:"sla,omitempty"`
}

// previewLead is one lead side by side.
type previewLead struct {
	ID         string      `json:"id"`
	ExternalID string      `json:"externalId,omitempty"`
	CreatedAt  time.Time   `json:"createdAt"`
	InStore    bool        `json:"inStore"`
	Actual     previewSide `json:"actual"`
	Proposed   previewSide `json:"proposed"`
	// Queued: at arrival the lead would wait for room; RoutedAt is when the replay routed it.
	Queued   bool       `json:"queued,omitempty"`
	RoutedAt *time.Time `json:"routedAt,omitempty"`
	// Reason is the proposal's decision in words, Candidates the members its strategy considered.
	Reason           string               `json:"reason,omitempty"`
	Candidates       []routing.Considered `json:"candidates,omitempty"`
	ExpressionErrors []string             `json:"expressionErrors,omitempty"`
	FirstTouchDue    *time.Time           `json:"firstTouchDue,omitempty"`
	// FirstTouchAfter is the recorded time to first touch (touchedAt − routedAt) counted on the
	// proposed SLA's clock (the proposed team's business hours, or the wall clock).
	FirstTouchAfter *previewDuration `json:"firstTouchAfter,omitempty"`
}

// previewDuration prints as Go duration text in JSON.
type previewDuration time.Duration

func (d previewDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *previewDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = previewDuration(v)
	return err
}

// previewStart is the state the replay starts from, reconstructed from the store.
type previewStart struct {
	At time.Time `json:"at"`
	// Load is the open leads per owner at At (routed at or before it, not yet accepted then).
	Load map[string]int `json:"openLoad"`
	// Turns are the round-robin and weighted rules' turns at At, from the leads each (policy, rule)
	// routed before it; a rule the store has no history of starts from the beginning.
	Turns []previewTurn `json:"ruleTurns"`
}

type previewTurn struct {
	Policy   string           `json:"policy"`
	Rule     string           `json:"rule"`
	Last     string           `json:"last,omitempty"`
	Assigned map[string]int64 `json:"assigned,omitempty"`
}

// previewReplay decides leads in arrival order through the proposal, keeping the world (load,
// turns, availability) as the controller would see it at each instant.
type previewReplay struct {
	prop     *previewProposal
	in       router.Input
	world    *router.World
	teams    map[router.TeamKey]*router.Team // the world's; replaced at each new instant
	teamKeys []router.TeamKey
	snapAt   time.Time
	load     map[string]int // the world's
	peak     map[string]int
	releases previewReleases
	queues   map[router.TeamKey][]*previewPending
	waiting  int
	// dirty is set when room may have freed up since the queues were last tried (a release, a
	// member's availability changed): only then can a waiting lead be routed.
	dirty bool
	start previewStart
}

type previewPending struct {
	l, probe *lead.Lead
	res      *previewLead
}

// newPreviewReplay reconstructs the state at start: the open load (leads not replayed that were open
// then; each is released when it was accepted), the rules' turns, and the account owners of the
// replayed leads' domains when a rule routes by account.
func newPreviewReplay(ctx context.Context, st previewStore, prop *previewProposal, start time.Time, leads []*lead.Lead) (*previewReplay, error) {
	r := &previewReplay{prop: prop, teams: map[router.TeamKey]*router.Team{}, load: map[string]int{}, peak: map[string]int{},
		queues: map[router.TeamKey][]*previewPending{}}
	replayed := make(map[string]bool, len(leads))
	for _, l := range leads {
		replayed[l.ID] = true
	}
	err := st.LeadsOpenAt(ctx, start, func(l *lead.Lead) error {
		if replayed[l.ID] || !l.CreatedAt.Before(start) {
			return nil
		}
		r.load[l.Owner]++
		if l.AcceptedAt != nil && l.AcceptedAt.After(start) {
			r.releases.push(*l.AcceptedAt, l.Owner)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.start = previewStart{At: start, Load: map[string]int{}}
	for m, n := range r.load {
		r.start.Load[m], r.peak[m] = n, n
	}
	states := map[string]map[string]routing.RuleState{}
	for _, p := range prop.policies {
		for _, rule := range p.Rules {
			if rule.Strategy != routing.RoundRobin && rule.Strategy != routing.Weighted && rule.Strategy != "" {
				continue
			}
			last, counts, err := st.RuleHistoryAt(ctx, p.Key(), rule.Name, start)
			if err != nil {
				return nil, err
			}
			if states[p.Key()] == nil {
				states[p.Key()] = map[string]routing.RuleState{}
			}
			states[p.Key()][rule.Name] = routing.RuleState{Last: last, Assigned: counts}
			r.start.Turns = append(r.start.Turns, previewTurn{Policy: p.Key(), Rule: rule.Name, Last: last, Assigned: counts})
		}
	}
	matches, err := previewAccounts(ctx, st, prop, leads)
	if err != nil {
		return nil, err
	}
	for k := range prop.teams {
		r.teamKeys = append(r.teamKeys, k)
	}
	sort.Slice(r.teamKeys, func(i, j int) bool { return r.teamKeys[i].String() < r.teamKeys[j].String() })
	r.in = router.Input{Policies: prop.policies, Teams: r.teams}
	r.world = router.NewWorld(r.teams, r.load, states, nil)
	for id, m := range matches {
		r.world.SetAccountMatch(id, m)
	}
	return r, nil
}

// previewAccounts matches the leads to accounts (internal/accountmatch: domain, subdomain, company
// name, never free-mail) as the router does, when a proposed rule routes by account owner (the
// accounts as the store holds them now), a page of leads per store lookup.
func previewAccounts(ctx context.Context, st previewStore, prop *previewProposal, leads []*lead.Lead) (map[string]accountmatch.Match, error) {
	byAccount := false
	for _, p := range prop.policies {
		for _, r := range p.Rules {
			byAccount = byAccount || r.Strategy == routing.AccountOwner
		}
	}
	matches := map[string]accountmatch.Match{}
	if !byAccount {
		return matches, nil
	}
	const page = 500
	for off := 0; off < len(leads); off += page {
		chunk := leads[off:min(off+page, len(leads))]
		keys := make([]accountmatch.Keys, len(chunk))
		var domains, companies []string
		seen := map[string]bool{}
		for i, l := range chunk {
			keys[i] = accountmatch.KeysOf(l.Domain, l.Email, l.Company)
			for _, d := range keys[i].Domains() {
				if !seen["d:"+d] {
					seen["d:"+d] = true
					domains = append(domains, d)
				}
			}
			if c := keys[i].CompanyKey; c != "" && !seen["c:"+c] {
				seen["c:"+c] = true
				companies = append(companies, c)
			}
		}
		if len(domains) == 0 && len(companies) == 0 {
			continue
		}
		accounts, err := st.FindAccounts(ctx, domains, companies)
		if err != nil {
			return nil, fmt.Errorf("looking up the accounts of the leads' domains and company names: %w", err)
		}
		for i, l := range chunk {
			if m, ok := accountmatch.Find(keys[i], accounts); ok {
				matches[l.ID] = m
			}
		}
	}
	return matches, nil
}

// at moves the world to instant t: every proposed team's availability as of t.
func (r *previewReplay) at(t time.Time) {
	if t.Equal(r.snapAt) && len(r.teams) == len(r.prop.teams) {
		return
	}
	for k, pt := range r.prop.teams {
		snap := pt.Snapshot(t)
		if prev := r.teams[k]; prev != nil && !r.dirty {
			for i := range snap.Members {
				if snap.Members[i].Available != prev.Members[i].Available {
					r.dirty = true
					break
				}
			}
		}
		r.teams[k] = snap
	}
	r.snapAt, r.in.Now = t, t
}

// advance releases, in time order up to t, the load of the leads their owners accepted or
// rejected by then; after each release the queues get a chance at the room it freed.
func (r *previewReplay) advance(t time.Time) error {
	for r.releases.Len() > 0 && !r.releases.items[0].at.After(t) {
		rel := heap.Pop(&r.releases).(previewRelease)
		if r.load[rel.member] > 0 {
			r.load[rel.member]--
			r.dirty = true
		}
		if err := r.retryQueues(rel.at); err != nil {
			return err
		}
	}
	return nil
}

// retryQueues routes, oldest first per team, the waiting leads that now find room (a release, a
// member back from out of office), as the controller's next pass would.
func (r *previewReplay) retryQueues(t time.Time) error {
	if r.waiting == 0 {
		return nil
	}
	r.at(t)
	if !r.dirty {
		return nil
	}
	r.dirty = false
	for _, k := range r.teamKeys {
		q := r.queues[k]
		for len(q) > 0 {
			p := q[0]
			d, ch, _, err := router.Decide(r.in, r.world, p.probe)
			if err != nil {
				return fmt.Errorf("lead %s: %w", p.l.ID, err)
			}
			if d.Outcome != routing.Routed {
				break
			}
			r.record(p.l, p.res, d, ch, t)
			q = q[1:]
			r.waiting--
		}
		r.queues[k] = q
	}
	return nil
}

// arrive decides l through the proposal as it arrived: stage new, no owner, at its createdAt.
func (r *previewReplay) arrive(l *lead.Lead, res *previewLead) error {
	t := l.CreatedAt
	if err := r.advance(t); err != nil {
		return err
	}
	if err := r.retryQueues(t); err != nil {
		return err
	}
	r.at(t)
	probe := previewArrival(l)
	d, ch, _, err := router.Decide(r.in, r.world, probe)
	if err != nil {
		return fmt.Errorf("lead %s: %w", l.ID, err)
	}
	r.record(l, res, d, ch, t)
	if d.Outcome == routing.Queued {
		res.Queued = true
		k := router.TeamKey{Namespace: d.Policy.Namespace, Name: d.Rule.Team}
		r.queues[k] = append(r.queues[k], &previewPending{l: l, probe: probe, res: res})
		r.waiting++
	}
	return nil
}

// record writes a decision into the lead's proposed side and keeps load, peaks and releases.
func (r *previewReplay) record(l *lead.Lead, res *previewLead, d routing.Decision, ch store.Decision, t time.Time) {
	p := previewSide{}
	switch d.Outcome {
	case routing.Routed:
		p.Outcome = previewRouted
	case routing.Queued:
		p.Outcome = previewQueued
	case routing.Disqualified:
		p.Outcome = previewDisqualified
	case routing.NoRule:
		p.Outcome = previewNoRule
	default:
		p.Outcome = previewUnmatched
	}
	if d.Policy != nil {
		p.Policy = d.Policy.Key()
	}
	if d.Rule != nil {
		p.Rule = d.Rule.Name
		p.Team = router.TeamKey{Namespace: d.Policy.Namespace, Name: d.Rule.Team}.String()
	}
	res.Reason, res.Candidates = d.Reason, d.Pick.Considered
	res.ExpressionErrors = nil
	for _, e := range d.EvalErrors {
		res.ExpressionErrors = append(res.ExpressionErrors, e.String())
	}
	if d.Outcome == routing.Routed {
		p.Owner = d.Pick.Member
		at := t
		res.RoutedAt = &at
		if ch.Lead != nil {
			res.FirstTouchDue = ch.Lead.FirstTouchDue
		}
		r.peak[p.Owner] = max(r.peak[p.Owner], r.load[p.Owner])
		if leave := previewLeftAt(l); leave != nil {
			if leave.After(t) {
				r.releases.push(*leave, p.Owner)
			} else if r.load[p.Owner] > 0 {
				r.load[p.Owner]-- // handled before the replay routed it: it holds no room
			}
		}
		p.SLA, res.FirstTouchAfter = r.estimateSLA(l, d)
	}
	res.Proposed = p
}

// estimateSLA says whether the lead's recorded first touch (touchedAt − routedAt) would meet the
// proposed first-touch SLA, counted on the proposed team's calendar (or the wall clock).
func (r *previewReplay) estimateSLA(l *lead.Lead, d routing.Decision) (string, *previewDuration) {
	spec := r.prop.sla[d.Policy.Key()]
	if spec == nil || spec.FirstTouch == nil {
		return "", nil
	}
	if l.RoutedAt == nil || l.TouchedAt == nil {
		return "notouch", nil
	}
	var clk slaclock.Clock = slaclock.Wall
	if !spec.FirstTouch.WallClock {
		t := r.prop.teams[router.TeamKey{Namespace: d.Policy.Namespace, Name: d.Rule.Team}]
		if t == nil || t.Calendar == nil {
			return "", nil
		}
		clk = t.Calendar
	}
	after := clk.Elapsed(*l.RoutedAt, *l.TouchedAt)
	pd := previewDuration(after)
	if after <= spec.FirstTouch.Within {
		return "met", &pd
	}
	return "missed", &pd
}

// previewArrival is the lead as it arrived: its marketing fields, stage new, nobody's.
func previewArrival(l *lead.Lead) *lead.Lead {
	return &lead.Lead{
		ID: l.ID, ExternalID: l.ExternalID, Email: l.Email, Name: l.Name, Company: l.Company, Domain: l.Domain,
		Country: l.Country, Industry: l.Industry, Employees: l.Employees, Source: l.Source, Campaign: l.Campaign,
		Score: l.Score, Attributes: l.Attributes, Stage: lead.StageNew, CreatedAt: l.CreatedAt, UpdatedAt: l.CreatedAt,
		Version: l.Version,
	}
}

// previewLeftAt is when the lead stopped holding its owner's capacity as recorded: accepted or
// rejected (nil while it is open, or was never handed over).
func previewLeftAt(l *lead.Lead) *time.Time {
	var out *time.Time
	for _, t := range []*time.Time{l.AcceptedAt, l.RejectedAt} {
		if t != nil && (out == nil || t.Before(*out)) {
			out = t
		}
	}
	return out
}

// previewActual is what the store records happened to the lead.
func previewActual(l *lead.Lead) previewSide {
	a := previewSide{Policy: l.Policy, Rule: l.Rule, Team: l.Team, Owner: l.Owner, Stage: string(l.Stage)}
	switch {
	case l.RoutedAt != nil:
		a.Outcome = previewRouted
		switch {
		case l.BreachCount > 0:
			a.SLA = "breached"
		case l.TouchedAt != nil:
			a.SLA = "met"
		default:
			a.SLA = "open"
		}
	case l.Stage == lead.StageNew:
		a.Outcome = previewUnmatched
	case l.Stage == lead.StageDisqualified:
		a.Outcome = previewDisqualified
	case l.Stage == lead.StageQualified && l.Team == "":
		a.Outcome = previewNoRule
	case l.Stage == lead.StageQualified:
		a.Outcome = previewQueued
	default:
		a.Outcome = string(l.Stage)
	}
	if a.Outcome != previewRouted && a.Outcome != previewQueued {
		a.Team, a.Owner = "", ""
	}
	return a
}

// replayPreview decides leads (sorted by arrival) through the proposal, from the state at start.
func replayPreview(ctx context.Context, st previewStore, prop *previewProposal, start time.Time, leads []*lead.Lead, inStore bool) ([]*previewLead, *previewReplay, error) {
	r, err := newPreviewReplay(ctx, st, prop, start, leads)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*previewLead, len(leads))
	for i, l := range leads {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		res := &previewLead{ID: l.ID, ExternalID: l.ExternalID, CreatedAt: l.CreatedAt, InStore: inStore}
		if inStore {
			res.Actual = previewActual(l)
		}
		if err := r.arrive(l, res); err != nil {
			return nil, nil, err
		}
		out[i] = res
	}
	return out, r, nil
}

// previewRelease frees one unit of a member's load at an instant.
type previewRelease struct {
	at     time.Time
	member string
	seq    int
}

type previewReleases struct {
	items []previewRelease
	seq   int
}

func (h *previewReleases) push(at time.Time, member string) {
	heap.Push(h, previewRelease{at: at, member: member, seq: h.seq})
	h.seq++
}

func (h *previewReleases) Len() int { return len(h.items) }
func (h *previewReleases) Less(i, j int) bool {
	if !h.items[i].at.Equal(h.items[j].at) {
		return h.items[i].at.Before(h.items[j].at)
	}
	return h.items[i].seq < h.items[j].seq
}
func (h *previewReleases) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *previewReleases) Push(x any)    { h.items = append(h.items, x.(previewRelease)) }
func (h *previewReleases) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items = h.items[:n]
	return x
}

package controllers

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// world is routing's view of Teams, loads, accounts and rule history for one pass. Loads are read
// once per pass and then kept current in memory as the pass assigns leads.
type world struct {
	ctx    context.Context
	r      *RouterReconciler
	teams  map[types.NamespacedName][]routing.Candidate
	views  map[types.NamespacedName]*teamView
	load   map[string]int
	owners map[string]string
	err    error
}

func (r *RouterReconciler) loadWorld(ctx context.Context) (*world, error) {
	teams := &leadopsv1.TeamList{}
	if err := r.List(ctx, teams); err != nil {
		return nil, fmt.Errorf("listing Teams: %w", err)
	}
	load, err := r.Store.OpenLoad(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading open load per rep: %w", err)
	}
	w := &world{ctx: ctx, r: r, teams: map[types.NamespacedName][]routing.Candidate{}, views: map[types.NamespacedName]*teamView{},
		load: load, owners: map[string]string{}}
	now := r.Clock.Now()
	for i := range teams.Items {
		t := &teams.Items[i]
		view, specErr := parseTeam(&t.Spec)
		if specErr != nil {
			continue // an invalid Team routes nothing; its own reconciler reports why
		}
		key := types.NamespacedName{Namespace: t.Namespace, Name: t.Name}
		w.views[key] = view
		cands := make([]routing.Candidate, 0, len(view.Members))
		for _, m := range view.Members {
			cands = append(cands, routing.Candidate{
				Name: m.Name, Capacity: int(m.Capacity), Weight: int(m.Weight), Available: m.AvailableAt(now),
			})
		}
		w.teams[key] = cands
	}
	return w, nil
}

// Candidates returns the team's members with their current open load filled in.
func (w *world) Candidates(namespace, team string) ([]routing.Candidate, bool) {
	cands, ok := w.teams[types.NamespacedName{Namespace: namespace, Name: team}]
	if !ok {
		return nil, false
	}
	out := make([]routing.Candidate, len(cands))
	for i, c := range cands {
		c.Open = w.load[c.Name]
		out[i] = c
	}
	return out, true
}

func (w *world) assigned(member string) { w.load[member]++ }

// RuleState resumes round robin and weighted shares from memory, or from the store's history after a
// restart.
func (w *world) RuleState(policyKey, rule string) routing.RuleState {
	key := policyKey + "\x00" + rule
	if st, ok := w.r.states[key]; ok {
		return *st
	}
	last, counts, err := w.r.Store.RuleHistory(w.ctx, policyKey, rule)
	if err != nil {
		w.err = err
		return routing.RuleState{}
	}
	st := routing.RuleState{Last: last, Assigned: counts}
	w.r.states[key] = &st
	return st
}

// AccountOwner looks the domain up once per pass.
func (w *world) AccountOwner(domain string) string {
	if domain == "" {
		return ""
	}
	if o, ok := w.owners[domain]; ok {
		return o
	}
	owner := ""
	a, err := w.r.Store.GetAccount(w.ctx, domain)
	switch {
	case err == nil:
		owner = a.Owner
	case !errors.Is(err, store.ErrNotFound):
		w.err = err
	}
	w.owners[domain] = owner
	return owner
}

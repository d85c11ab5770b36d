package router

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// memStore is an in-memory Store with the lead store's compare-and-swap semantics, enough to run
// whole passes without a database.
type memStore struct {
	mu       sync.Mutex
	leads    map[string]*lead.Lead
	accounts map[string]string
	accts    []store.Account
	audit    map[string][]store.AuditEvent
}

func newMemStore(leads ...*lead.Lead) *memStore {
	s := &memStore{leads: map[string]*lead.Lead{}, accounts: map[string]string{}, audit: map[string][]store.AuditEvent{}}
	for _, l := range leads {
		c := *l
		if c.Version == 0 {
			c.Version = 1
		}
		s.leads[c.ID] = &c
	}
	return s
}

func (s *memStore) sorted(keep func(*lead.Lead) bool) []*lead.Lead {
	var out []*lead.Lead
	for _, l := range s.leads {
		if keep(l) {
			c := *l
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *memStore) PendingLeads(_ context.Context, after store.PendingCursor, limit int) ([]*lead.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.sorted(func(l *lead.Lead) bool {
		pending := l.Stage == lead.StageNew || (l.Stage == lead.StageQualified && l.Owner == "")
		past := after.ID == "" || l.CreatedAt.After(after.CreatedAt) || (l.CreatedAt.Equal(after.CreatedAt) && l.ID > after.ID)
		return pending && past
	})
	return all[:min(limit, len(all))], nil
}

func (s *memStore) DueHandoffs(_ context.Context, t time.Time, limit int) ([]*lead.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	due := func(d, rec *time.Time) bool { return d != nil && !d.After(t) && rec == nil }
	all := s.sorted(func(l *lead.Lead) bool {
		return (l.Stage == lead.StageRouted && due(l.FirstTouchDue, l.FirstTouchBreachedAt)) ||
			((l.Stage == lead.StageRouted || l.Stage == lead.StageTouched) && due(l.AcceptanceDue, l.AcceptanceBreachedAt))
	})
	return all[:min(limit, len(all))], nil
}

func (s *memStore) CommitDecisions(_ context.Context, ds []store.Decision) ([]*lead.Lead, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var applied []*lead.Lead
	var conflicts []string
	for _, d := range ds {
		cur := s.leads[d.Lead.ID]
		if cur == nil || cur.Version != d.Lead.Version {
			conflicts = append(conflicts, d.Lead.ID)
			continue
		}
		next := *d.Lead
		next.Version++
		s.leads[next.ID] = &next
		s.audit[next.ID] = append(s.audit[next.ID], d.Events...)
		c := next
		applied = append(applied, &c)
	}
	return applied, conflicts, nil
}

func (s *memStore) OpenLoad(context.Context) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	load := map[string]int{}
	for _, l := range s.leads {
		if l.Owner != "" && (l.Stage == lead.StageRouted || l.Stage == lead.StageTouched || l.Stage == lead.StageAccepted) {
			load[l.Owner]++
		}
	}
	return load, nil
}

func (s *memStore) RuleHistory(context.Context, string, string) (string, map[string]int64, error) {
	return "", nil, nil
}

// FindAccounts finds the accounts (domain → owner, plus the full ones in accts) as the store does.
func (s *memStore) FindAccounts(_ context.Context, domains, keys []string) ([]store.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Account
	for _, d := range domains {
		if o, ok := s.accounts[d]; ok {
			out = append(out, store.Account{Domain: d, Domains: []string{d}, Owner: o})
		}
	}
	for _, a := range s.accts {
		for _, k := range keys {
			if a.CompanyKey == k {
				out = append(out, a)
			}
		}
		for _, d := range a.Domains {
			for _, want := range domains {
				if d == want {
					out = append(out, a)
				}
			}
		}
	}
	return out, nil
}

func (s *memStore) get(id string) *lead.Lead {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.leads[id]
	return &c
}

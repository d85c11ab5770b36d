// Package changefeed fans lead changes out to subscribers inside one process. Both backends use it: the
// SQLite store publishes after each commit, the PostgreSQL store publishes what its LISTEN
// connection receives.
package changefeed

import (
	"context"
	"sync"

	"github.com/leadops/leadops/internal/store"
)

// Hub is safe for concurrent use. The zero value is ready.
type Hub struct {
	mu   sync.Mutex
	subs map[*sub]struct{}
}

// sub buffers without bound, coalescing repeated ids, so a slow subscriber never blocks a writer and
// never loses a change (the store's contract is at-least-once, may coalesce).
type sub struct {
	mu      sync.Mutex
	pending []string
	queued  map[string]struct{}
	wake    chan struct{}
}

// Subscribe returns a channel of changes published after the call; it is closed when ctx ends.
func (h *Hub) Subscribe(ctx context.Context) <-chan store.Change {
	s := &sub{queued: map[string]struct{}{}, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*sub]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()

	out := make(chan store.Change)
	go func() {
		defer close(out)
		defer func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			for {
				s.mu.Lock()
				if len(s.pending) == 0 {
					s.mu.Unlock()
					break
				}
				id := s.pending[0]
				s.pending = s.pending[1:]
				delete(s.queued, id)
				s.mu.Unlock()
				select {
				case out <- store.Change{LeadID: id}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// Publish queues the ids for every current subscriber and returns at once.
func (h *Hub) Publish(ids ...string) {
	if len(ids) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		for _, id := range ids {
			if _, ok := s.queued[id]; ok {
				continue
			}
			s.queued[id] = struct{}{}
			s.pending = append(s.pending, id)
		}
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// Subscribers reports how many subscriptions are live (for tests and Close).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

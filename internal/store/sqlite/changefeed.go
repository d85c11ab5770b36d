package sqlite

import (
	"context"
	"sync"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/changefeed"
)

// hubs shares one notifier per database file inside the process, so two Stores on one file (two
// components of one binary) see each other's changes.
var (
	hubsMu sync.Mutex
	hubs   = map[string]*changefeed.Hub{}
)

func hubFor(path string) *changefeed.Hub {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	h, ok := hubs[path]
	if !ok {
		h = &changefeed.Hub{}
		hubs[path] = h
	}
	return h
}

// Subscribe delivers changes committed after the call through this process.
func (s *Store) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	return s.hub.Subscribe(ctx), nil
}

package api_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/sqlite"
)

// backend opens a fresh, empty store for one test.
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

// backends lists every store the API is tested against.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "leads.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
	}
}

// forEachBackend runs fn once per backend, as subtests named after the backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

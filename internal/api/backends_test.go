package api_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// TestMain lets pgtest stop the PostgreSQL server the tests share.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backend opens a fresh, empty store for one test.
type backend struct {
	name string
	open func(t *testing.T) store.Backend
}

// backends lists every store the API is tested against: a temporary SQLite file and a real
// PostgreSQL database of its own. Both are opened through storeopen, as the manager and leadctl do.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) store.Backend {
			return openDSN(t, "sqlite://"+filepath.Join(t.TempDir(), "leads.db"))
		}},
		{"postgres", func(t *testing.T) store.Backend {
			return openDSN(t, pgtest.NewDatabase(t))
		}},
	}
}

func openDSN(t *testing.T, dsn string) store.Backend {
	t.Helper()
	st, err := storeopen.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// forEachBackend runs fn once per backend, as subtests named after the backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, st store.Backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

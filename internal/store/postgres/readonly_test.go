package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

func TestReadOnly(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	rw, err := Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })
	storetest.RunReadOnly(t, rw, func(t *testing.T) (store.Backend, error) {
		return Open(context.Background(), dsn, store.Options{ReadOnly: true})
	})
}

// TestReadOnlyNeedsAStore: read-only never migrates a database.
func TestReadOnlyNeedsAStore(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	_, err := Open(context.Background(), dsn, store.Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "holds no lead store") {
		t.Fatalf("read-only open of an empty database: %v", err)
	}
	// Nor did the attempt migrate it.
	if _, err := Open(context.Background(), dsn, store.Options{ReadOnly: true}); err == nil {
		t.Fatal("a failed read-only open migrated the database")
	}
}

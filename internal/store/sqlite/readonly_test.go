package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
)

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leads.db")
	rw, err := Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })
	storetest.RunReadOnly(t, rw, func(t *testing.T) (store.Backend, error) {
		return Open(context.Background(), path, store.Options{ReadOnly: true})
	})
}

// TestReadOnlyNeedsAStore: read-only never creates or migrates a file.
func TestReadOnlyNeedsAStore(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := Open(context.Background(), missing, store.Options{ReadOnly: true}); err == nil {
		t.Fatal("opened a missing file read-only")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a read-only open created the file: %v", err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), empty, store.Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "holds no lead store") {
		t.Fatalf("read-only open of an empty file: %v", err)
	}
	if fi, _ := os.Stat(empty); fi.Size() != 0 {
		t.Fatalf("the empty file was written: %d bytes", fi.Size())
	}
}

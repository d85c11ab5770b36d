package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

func TestFeedPageSize(t *testing.T) {
	for _, tt := range []struct{ in, want int }{
		{-1, store.DefaultFeedPageSize}, {0, store.DefaultFeedPageSize}, {1, 1}, {999, 999},
		{store.MaxFeedPageSize, store.MaxFeedPageSize}, {store.MaxFeedPageSize + 1, store.MaxFeedPageSize},
	} {
		if got := store.FeedPageSize(tt.in); got != tt.want {
			t.Errorf("FeedPageSize(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestEventTypesListsEveryLeadEvent: the feed's type filter accepts exactly the audit types package
// lead declares (every string constant named Event…), so a new one cannot be forgotten here.
func TestEventTypesListsEveryLeadEvent(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "lead", "events.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "Event") || i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				declared = append(declared, v)
			}
		}
		return true
	})
	got := slices.Clone(store.EventTypes)
	slices.Sort(got)
	slices.Sort(declared)
	if len(declared) < 10 || !slices.Equal(got, declared) {
		t.Fatalf("store.EventTypes = %v\nlead declares     %v", got, declared)
	}
}

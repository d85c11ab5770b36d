package verify

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/testutil/kubeenv"
)

// TestREADMELayoutMatchesTree keeps README.md's Layout table true to the tree: every path it lists
// exists, and every Go package is listed (itself or a listed parent directory), so a new package
// gets its row in the same change.
func TestREADMELayoutMatchesTree(t *testing.T) {
	root, err := kubeenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	var listed []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		p := strings.TrimSuffix(m[1], "/")
		listed = append(listed, p)
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
			t.Errorf("the Layout table lists %s, which does not exist", m[1])
		}
	}
	if len(listed) < 10 {
		t.Fatalf("found %d rows in the Layout table; the parsing is broken", len(listed))
	}
	covered := func(dir string) bool {
		for _, p := range listed {
			if dir == p || strings.HasPrefix(dir, p+"/") || (dir == "." && p == "main.go") {
				return true
			}
		}
		return false
	}
	reported := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "testdata", "vendor", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		if dir := filepath.ToSlash(rel); !covered(dir) && !reported[dir] {
			reported[dir] = true
			t.Errorf("the Go package in %s is not in README.md's Layout table", dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package deploycheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A metric definition in Go: prometheus.<Kind>Opts{ ... Name: "leadops_..." (comments may come first).
var metricDefinition = regexp.MustCompile(`prometheus\.(Counter|Gauge|Histogram|Summary)Opts\{\s*(?://[^\n]*\n\s*)*Name:\s*"(leadops_[a-z0-9_]+)"`)

// sourceMetrics returns the leadops metric families defined in the module's non-test Go files, by
// type. The Helm chart's test module defines none.
func sourceMetrics(t *testing.T) map[string]string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "vendor", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range metricDefinition.FindAllStringSubmatch(string(src), -1) {
			out[m[2]] = strings.ToLower(m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// documentedMetrics returns the rows of docs/alerting.md's metric table: name and type.
func documentedMetrics(t *testing.T) map[string]string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "alerting.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| `leadops_") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Errorf("docs/alerting.md: metric row without a type: %s", line)
			continue
		}
		out[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	return out
}

// TestMetricsContract: the metrics the Go code defines, the ones docs/alerting.md lists and the ones
// the alert and dashboard tests accept (exportedMetrics) are the same families with the same types,
// so a new metric cannot be left out of the docs, and an alert cannot read a metric nobody exports.
func TestMetricsContract(t *testing.T) {
	src := sourceMetrics(t)
	if len(src) < len(exportedMetrics)/2 {
		t.Fatalf("found only %d metric definitions in the Go sources: is metricDefinition out of date? %v", len(src), src)
	}
	doc := documentedMetrics(t)
	for _, c := range []struct {
		name string
		set  map[string]string
	}{{"the Go sources", src}, {"docs/alerting.md's metric table", doc}} {
		var names []string
		for n := range c.set {
			names = append(names, n)
		}
		for n := range exportedMetrics {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			got, ok := c.set[n]
			want, known := exportedMetrics[n]
			switch {
			case !ok:
				t.Errorf("%s: %s (in exportedMetrics) is missing", c.name, n)
			case !known:
				t.Errorf("%s: %s (%s) is not in exportedMetrics (hack/deploycheck/dashboard_test.go)", c.name, n, got)
			case got != want:
				t.Errorf("%s: %s is a %s, exportedMetrics says %s", c.name, n, got, want)
			}
		}
	}
}

package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"sigs.k8s.io/yaml"
)

// docs/helm.md shows helm commands for people to run against their cluster; no test runs Helm's CLI
// (it is not installed). These tests hold the page to the chart instead: every helm install/upgrade/
// template line renders with the chart through the Helm SDK, with the values its --set flags and -f
// files give (the files being the page's ```yaml blocks whose first line is `# <file name>`), and the
// values table lists every value with its true default.

const helmDoc = "docs/helm.md"

type markdownBlock struct {
	lang  string
	lines []string
}

func docBlocks(t *testing.T) ([]markdownBlock, string) {
	t.Helper()
	raw := mustRead(t, filepath.Join(repoRoot(t), filepath.FromSlash(helmDoc)))
	var blocks []markdownBlock
	var cur *markdownBlock
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &markdownBlock{lang: strings.TrimPrefix(line, "```")}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		}
	}
	if cur != nil {
		t.Fatalf("%s: unclosed code block", helmDoc)
	}
	return blocks, string(raw)
}

// docValueFiles returns the ```yaml blocks that name a values file on their first line.
func docValueFiles(t *testing.T, blocks []markdownBlock) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, b := range blocks {
		if b.lang != "yaml" || len(b.lines) == 0 {
			continue
		}
		if name, ok := strings.CutPrefix(b.lines[0], "# "); ok && strings.HasSuffix(name, ".yaml") {
			files[name] = strings.Join(b.lines, "\n") + "\n"
		}
	}
	return files
}

// docHelmLines returns the helm command lines of the ```sh blocks, continuation lines joined.
func docHelmLines(blocks []markdownBlock) []string {
	var out []string
	for _, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		var cur string
		for _, l := range b.lines {
			cur += strings.TrimSpace(l)
			if strings.HasSuffix(cur, "\\") {
				cur = strings.TrimSuffix(cur, "\\") + " "
				continue
			}
			if strings.HasPrefix(cur, "helm ") {
				out = append(out, cur)
			}
			cur = ""
		}
	}
	return out
}

// splitWords splits a command line into words with single and double quotes, as sh does for the
// plain lines the page shows; anything needing expansion fails.
func splitWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		case strings.ContainsRune("$`;&|<>", r):
			t.Fatalf("%s: %q uses shell features this check does not interpret", helmDoc, line)
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// TestHelmDocCommandsRender renders every helm command of docs/helm.md as Helm would run it.
func TestHelmDocCommandsRender(t *testing.T) {
	blocks, _ := docBlocks(t)
	files := docValueFiles(t, blocks)
	lines := docHelmLines(blocks)
	if len(lines) < 5 || len(files) < 2 {
		t.Fatalf("found %d helm lines and %d values files in %s; the extraction is broken", len(lines), len(files), helmDoc)
	}
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range lines {
		t.Run(line, func(t *testing.T) {
			words := splitWords(t, line)
			if len(words) < 2 || (words[1] != "install" && words[1] != "upgrade" && words[1] != "template") {
				t.Fatalf("%q: only helm install, upgrade and template are checked; show other helm commands as prose", line)
			}
			var positional []string
			ns := "default"
			var opts values.Options
			for i := 2; i < len(words); i++ {
				w := words[i]
				next := func() string {
					if i+1 >= len(words) {
						t.Fatalf("%q: %s without a value", line, w)
					}
					i++
					return words[i]
				}
				switch w {
				case "--namespace", "-n":
					ns = next()
				case "-f", "--values":
					name := next()
					if _, ok := files[name]; !ok {
						t.Fatalf("%q reads %s, which no ```yaml block of %s starting with `# %s` shows", line, name, helmDoc, name)
					}
					opts.ValueFiles = append(opts.ValueFiles, filepath.Join(dir, name))
				case "--set":
					opts.Values = append(opts.Values, next())
				case "--set-string":
					opts.StringValues = append(opts.StringValues, next())
				case "--create-namespace", "--reuse-values", "--wait", "--include-crds", "--atomic":
				default:
					if strings.HasPrefix(w, "-") {
						t.Fatalf("%q: flag %s is not one this check knows; add it here if Helm has it", line, w)
					}
					positional = append(positional, w)
				}
			}
			if len(positional) != 2 || positional[1] != "charts/leadops" {
				t.Fatalf("%q: want a release name and the chart charts/leadops, got %v", line, positional)
			}
			vals, err := opts.MergeValues(getter.Providers{})
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			objs, err := helmTemplate(t, positional[0], ns, vals)
			if err != nil {
				t.Fatalf("%q does not render: %v", line, err)
			}
			checkObjects(t, objs)
		})
	}

	// The PostgreSQL example is what the parity test renders against config/postgres.
	var pg map[string]any
	if err := yaml.Unmarshal([]byte(files["values-postgres.yaml"]), &pg); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(postgresValues())
	var wantMap map[string]any
	_ = json.Unmarshal(want, &wantMap)
	if d := diff("values-postgres.yaml", wantMap, pg); len(d) > 0 {
		t.Errorf("%s's values-postgres.yaml is not the values TestPostgresValuesRenderWhatConfigPostgresApplies checks:\n  %s", helmDoc, strings.Join(d, "\n  "))
	}
}

// documentedPaths lists the values the table must show: the keys of values.yaml, descending into a
// map only where the schema fixes its keys (additionalProperties false), so free-form objects
// (resources, affinity, crmConfig…) are one row each.
func documentedPaths(t *testing.T) map[string]any {
	t.Helper()
	var schema map[string]any
	if err := json.Unmarshal(mustRead(t, filepath.Join(chartDir(t), "values.schema.json")), &schema); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	var walk func(path string, v any, s map[string]any)
	walk = func(path string, v any, s map[string]any) {
		m, isMap := v.(map[string]any)
		props, _ := s["properties"].(map[string]any)
		if !isMap || len(m) == 0 || s["additionalProperties"] != false || props == nil {
			out[path] = v
			return
		}
		for k, sub := range m {
			ps, _ := props[k].(map[string]any)
			walk(strings.TrimPrefix(path+"."+k, "."), sub, ps)
		}
	}
	walk("", chartValues(t), schema)
	return out
}

// TestHelmDocListsEveryValue: the values table of docs/helm.md has one row per value, no row for a
// value the chart lacks, and a default column that, where it is a single `literal`, equals values.yaml's.
func TestHelmDocListsEveryValue(t *testing.T) {
	_, doc := docBlocks(t)
	_, table, ok := strings.Cut(doc, "\n## Values\n")
	if !ok {
		t.Fatalf("%s has no ## Values section", helmDoc)
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| ([^|]*) \\|")
	want := documentedPaths(t)
	seen := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		path, def := m[1], strings.TrimSpace(m[2])
		if seen[path] {
			t.Errorf("%s lists %s twice", helmDoc, path)
		}
		seen[path] = true
		v, ok := want[path]
		if !ok {
			t.Errorf("%s lists %s, which is not a value of the chart", helmDoc, path)
			continue
		}
		if lit, ok := strings.CutPrefix(def, "`"); ok && strings.Count(def, "`") == 2 && strings.HasSuffix(lit, "`") {
			var got any
			if err := yaml.Unmarshal([]byte(strings.TrimSuffix(lit, "`")), &got); err != nil {
				t.Errorf("%s: default of %s: %v", helmDoc, path, err)
				continue
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(v)
			if !bytes.Equal(g, w) {
				t.Errorf("%s gives %s the default %s; values.yaml has %s", helmDoc, path, g, w)
			}
		}
	}
	var missing []string
	for p := range want {
		if !seen[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s's values table lacks %v", helmDoc, missing)
	}
	if len(seen) < 20 {
		t.Fatalf("found %d rows in the values table; the parsing is broken", len(seen))
	}
}

// TestREADMEHelmLinesAreRendered: a helm command README.md shows (its trailing comment aside) is one
// of docs/helm.md's, which TestHelmDocCommandsRender renders.
func TestREADMEHelmLinesAreRendered(t *testing.T) {
	blocks, _ := docBlocks(t)
	rendered := docHelmLines(blocks)
	readme := string(mustRead(t, filepath.Join(repoRoot(t), "README.md")))
	n := 0
	for _, l := range strings.Split(readme, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "helm ") {
			continue
		}
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		n++
		if !slices.Contains(rendered, l) {
			t.Errorf("README.md shows %q, which %s does not: show it there (its render is tested) or drop it", l, helmDoc)
		}
	}
	if n == 0 {
		t.Fatal("README.md shows no helm command; the extraction is broken")
	}
}

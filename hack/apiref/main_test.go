package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// TestAPIReferenceIsCurrent fails when docs/api-reference.md is not what `make docs` generates from the
// committed CRDs (whose own freshness against api/v1alpha1 hack/verify checks).
func TestAPIReferenceIsCurrent(t *testing.T) {
	root := repoRoot(t)
	want, err := generate(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "docs", "api-reference.md"))
	if err != nil {
		t.Fatalf("docs/api-reference.md: %v (run `make docs` and commit it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("docs/api-reference.md is stale: run `make docs` and commit it. First difference at line %d:\n have: %s\n want: %s", i+1, g, w)
			}
		}
	}
}

// TestEverySchemaFieldIsDocumented walks the CRD schemas and checks each spec and status field appears
// in the generated reference with its path.
func TestEverySchemaFieldIsDocumented(t *testing.T) {
	root := repoRoot(t)
	dir := filepath.Join(root, "config", "crd", "bases")
	doc, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := loadCRDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 4 {
		t.Fatalf("%d CRDs, want 4 (LeadPolicy, Team, TeamGoal, LeadExperiment)", len(crds))
	}
	sections := strings.Split(string(doc), "\n## ")
	n := 0
	for _, crd := range crds {
		var section string
		for _, s := range sections {
			if strings.HasPrefix(s, crd.Spec.Names.Kind+"\n") {
				section = s
			}
		}
		if section == "" {
			t.Errorf("no section for %s", crd.Spec.Names.Kind)
			continue
		}
		schema := servedVersion(crd).Schema.OpenAPIV3Schema
		for _, part := range []string{"spec", "status"} {
			var walk func(path string, props map[string]any)
			raw, _ := yaml.Marshal(schema.Properties[part])
			var m map[string]any
			_ = yaml.Unmarshal(raw, &m)
			walk = func(path string, s map[string]any) {
				props, _ := s["properties"].(map[string]any)
				for name, p := range props {
					fp := path + "." + name
					if !strings.Contains(section, "| `"+fp+"` |") {
						t.Errorf("%s: field %s is not in the reference", crd.Spec.Names.Kind, fp)
					}
					n++
					pm, _ := p.(map[string]any)
					walk(fp, pm)
					if items, ok := pm["items"].(map[string]any); ok && name != "conditions" {
						walk(fp+"[]", items)
					}
					if ap, ok := pm["additionalProperties"].(map[string]any); ok {
						walk(fp+"[*]", ap)
					}
				}
			}
			walk(part, m)
		}
	}
	if n < 50 {
		t.Errorf("only %d fields found in the schemas", n)
	}
}

// TestStaleReferenceIsCaught: a change to a CRD changes the reference, so the freshness test fails.
func TestStaleReferenceIsCaught(t *testing.T) {
	root := repoRoot(t)
	src := filepath.Join(root, "config", "crd", "bases")
	before, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(src, "*.yaml"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, "leadops.io_teams.yaml") {
			raw = bytes.Replace(raw, []byte("Timezone is the IANA name"), []byte("Timezone, changed, is the IANA name"), 1)
		}
		if err := os.WriteFile(filepath.Join(tmp, filepath.Base(f)), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	after, err := generate(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(before, after) {
		t.Fatal("changing a field's description in a CRD did not change the reference")
	}
}

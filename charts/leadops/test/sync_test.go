package test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// syncedFiles maps the chart's copies to their sources: `make chart-sync` (run by `make manifests`)
// copies them, because Helm reads only files inside the chart.
func syncedFiles(t *testing.T) map[string]string {
	t.Helper()
	root := repoRoot(t)
	pairs := map[string]string{
		"files/role.yaml":         "config/rbac/role.yaml",
		"files/alerts.rules.yaml": "config/prometheus/alerts.rules.yaml",
	}
	crds, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	for _, c := range crds {
		pairs["crds/"+filepath.Base(c)] = "config/crd/bases/" + filepath.Base(c)
	}
	return pairs
}

// TestChartCopiesAreTheGeneratedFiles: the chart's CRDs are byte for byte config/crd/bases (and no
// others), its manager rules config/rbac/role.yaml, its alerts config/prometheus/alerts.rules.yaml.
func TestChartCopiesAreTheGeneratedFiles(t *testing.T) {
	root := repoRoot(t)
	pairs := syncedFiles(t)
	for copied, source := range pairs {
		want, err := os.ReadFile(filepath.Join(root, source))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, "charts", "leadops", copied))
		if err != nil {
			t.Errorf("charts/leadops/%s is missing: run `make chart-sync` and commit", copied)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("charts/leadops/%s differs from %s: run `make chart-sync` and commit", copied, source)
		}
	}
	inChart, _ := filepath.Glob(filepath.Join(root, "charts", "leadops", "crds", "*"))
	var extra []string
	for _, f := range inChart {
		if _, ok := pairs["crds/"+filepath.Base(f)]; !ok {
			extra = append(extra, filepath.Base(f))
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("charts/leadops/crds holds %s, which config/crd/bases does not: run `make chart-sync` and commit", strings.Join(extra, ", "))
	}
}

// TestManagerRulesAreTheGeneratedRole: the rendered ClusterRole of the manager grants exactly the
// rules controller-gen wrote into config/rbac/role.yaml from the reconcilers' markers.
func TestManagerRulesAreTheGeneratedRole(t *testing.T) {
	generated := decodeAll(t, "config/rbac/role.yaml", mustRead(t, filepath.Join(repoRoot(t), "config", "rbac", "role.yaml")))
	if len(generated) != 1 {
		t.Fatalf("config/rbac/role.yaml holds %d objects, want the one ClusterRole", len(generated))
	}
	want, _, _ := unstructured.NestedSlice(generated[0].Object, "rules")
	for _, name := range []string{"leadops", "prod"} {
		objs, err := helmTemplate(t, name, "ops", nil)
		if err != nil {
			t.Fatal(err)
		}
		fullname := name
		if name == "prod" {
			fullname = "prod-leadops"
		}
		role := find(t, objs, "ClusterRole", fullname+"-manager-role")
		got, _, _ := unstructured.NestedSlice(role.Object, "rules")
		if len(want) == 0 {
			t.Fatal("config/rbac/role.yaml has no rules")
		}
		if d := diff("rules", want, got); len(d) > 0 {
			t.Errorf("release %s: the manager's ClusterRole differs from config/rbac/role.yaml (run `make chart-sync`):\n  %s", name, strings.Join(d, "\n  "))
		}
		binding := find(t, objs, "ClusterRoleBinding", fullname+"-manager-rolebinding")
		if ref, _, _ := unstructured.NestedString(binding.Object, "roleRef", "name"); ref != role.GetName() {
			t.Errorf("release %s: the binding refers to %q, not %q", name, ref, role.GetName())
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestChartHoldsOnlyTheChart: .helmignore keeps this Go module out of what Helm loads and packages,
// and the chart carries exactly the three CRDs as CRDs.
func TestChartHoldsOnlyTheChart(t *testing.T) {
	chrt, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(chrt.Files, chrt.Templates...) {
		if strings.HasPrefix(f.Name, "test/") || strings.HasSuffix(f.Name, ".go") || strings.HasSuffix(f.Name, "go.sum") {
			t.Errorf("the chart packages %s: add it to charts/leadops/.helmignore", f.Name)
		}
	}
	if n := len(chrt.CRDObjects()); n != len(syncedFiles(t))-2 {
		t.Errorf("the chart has %d CRDs, config/crd/bases %d", n, len(syncedFiles(t))-2)
	}
}

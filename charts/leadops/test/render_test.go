package test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const (
	// The release and namespace under which the chart's names equal config/default's.
	release   = "leadops"
	namespace = "leadops-system"
)

// repoRoot is the repository's root, three levels above this directory (charts/leadops/test).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "default", "kustomization.yaml")); err != nil {
		t.Fatalf("%s is not the repository root: %v", root, err)
	}
	return root
}

func chartDir(t testing.TB) string { return filepath.Join(repoRoot(t), "charts", "leadops") }

// helmTemplate renders the chart as `helm template <name> charts/leadops --namespace <ns>
// --include-crds -f values` does, with the Helm SDK and no cluster; the schema is enforced.
func helmTemplate(t testing.TB, name, ns string, values map[string]any) ([]*unstructured.Unstructured, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatalf("load the chart: %v", err)
	}
	inst := action.NewInstall(&action.Configuration{})
	inst.DryRun = true
	inst.DryRunOption = "client"
	inst.ClientOnly = true
	inst.Replace = true
	inst.IncludeCRDs = true
	inst.ReleaseName = name
	inst.Namespace = ns
	if values == nil {
		values = map[string]any{}
	}
	rel, err := inst.Run(chrt, values)
	if err != nil {
		return nil, err
	}
	return decodeAll(t, "helm template", []byte(rel.Manifest)), nil
}

// mustHelm renders the chart and fails the test when Helm refuses the values.
func mustHelm(t testing.TB, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	objs, err := helmTemplate(t, release, namespace, values)
	if err != nil {
		t.Fatalf("helm template with %v: %v", values, err)
	}
	return objs
}

// kustomizeBuild renders a kustomization under config/ with the kustomize library, as
// hack/deploycheck does (what `kubectl apply -k` runs).
func kustomizeBuild(t testing.TB, dir string) []*unstructured.Unstructured {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return decodeAll(t, dir, y)
}

// decodeAll splits a multi-document YAML stream into objects, skipping empty documents.
func decodeAll(t testing.TB, what string, raw []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(m) == 0 {
			continue
		}
		// The decoder reads YAML as JSON: every number is a float64 whichever tool printed it.
		u := &unstructured.Unstructured{Object: m}
		objs = append(objs, u)
	}
	return objs
}

// id names an object as kubectl does: Kind namespace/name.
func id(u *unstructured.Unstructured) string {
	return fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
}

func index(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	m := map[string]*unstructured.Unstructured{}
	for _, u := range objs {
		m[id(u)] = u
	}
	return m
}

func ids(m map[string]*unstructured.Unstructured) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// find returns the one object of a kind and name, failing the test when it is missing.
func find(t testing.TB, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	var have []string
	for _, u := range objs {
		have = append(have, id(u))
	}
	t.Fatalf("no %s %s among %v", kind, name, have)
	return nil
}

func has(objs []*unstructured.Unstructured, kind, name string) bool {
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			return true
		}
	}
	return false
}

// chartValues reads values.yaml, the chart's defaults.
func chartValues(t testing.TB) map[string]any {
	t.Helper()
	v, err := chartutil.ReadValuesFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return v.AsMap()
}

// diff lists the paths where two decoded objects differ (empty when equal).
func diff(path string, a, b any) []string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v != %v", path, short(a), short(b))}
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			out = append(out, diff(path+"."+k, av[k], bv[k])...)
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return []string{fmt.Sprintf("%s: %v != %v", path, short(a), short(b))}
		}
		var out []string
		for i := range av {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])...)
		}
		return out
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) || (a == nil) != (b == nil) {
			return []string{fmt.Sprintf("%s: %v != %v", path, short(a), short(b))}
		}
		return nil
	}
}

func short(v any) string {
	if v == nil {
		return "<absent>"
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}

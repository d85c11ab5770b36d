package test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// What legitimately differs between `helm template leadops charts/leadops -n leadops-system` and
// the kustomize render of config/… and is normalised away before the objects are compared whole:
//   - the labels Helm charts carry by convention: helm.sh/chart, app.kubernetes.io/version and
//     app.kubernetes.io/instance (also in the chart's selectors, so that two releases never select
//     each other's pods), and app.kubernetes.io/managed-by (Helm there, kustomize here);
//   - the SQLite claim's helm.sh/resource-policy: keep (helm uninstall leaves the leads behind);
//   - the CRDs' labels: Helm installs crds/ as they are, kustomize adds its labels to them;
//   - the PodDisruptionBudget's app.kubernetes.io/part-of: config/postgres adds pdb.yaml without the
//     labels config/default gives every other object; the chart labels it like the rest;
//   - the Namespace: Helm installs into the one it is given (--namespace … --create-namespace) and
//     does not own it; docs/helm.md labels it for the restricted Pod Security level as config/default does.
//
// Names need no normalising: release "leadops" gives config/default's names (leadops-controller-manager…).
var helmOnlyLabels = []string{"helm.sh/chart", "app.kubernetes.io/version", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"}

// labelPaths are where an object carries labels or label selectors.
var labelPaths = [][]string{
	{"metadata", "labels"},
	{"spec", "selector", "matchLabels"},
	{"spec", "template", "metadata", "labels"},
}

func normalise(u *unstructured.Unstructured) map[string]any {
	obj := u.DeepCopy().Object
	paths := labelPaths
	if u.GetKind() == "Service" {
		paths = append(paths, []string{"spec", "selector"})
	}
	for _, p := range paths {
		m, ok, _ := unstructured.NestedMap(obj, p...)
		if !ok {
			continue
		}
		for _, l := range helmOnlyLabels {
			delete(m, l)
		}
		if len(m) == 0 {
			unstructured.RemoveNestedField(obj, p...)
			continue
		}
		if err := unstructured.SetNestedMap(obj, m, p...); err != nil {
			panic(err)
		}
	}
	if ann, ok, _ := unstructured.NestedStringMap(obj, "metadata", "annotations"); ok {
		delete(ann, "helm.sh/resource-policy")
		if len(ann) == 0 {
			unstructured.RemoveNestedField(obj, "metadata", "annotations")
		} else {
			_ = unstructured.SetNestedStringMap(obj, ann, "metadata", "annotations")
		}
	}
	if u.GetKind() == "PodDisruptionBudget" {
		unstructured.RemoveNestedField(obj, "metadata", "labels", "app.kubernetes.io/part-of")
	}
	if u.GetKind() == "CustomResourceDefinition" {
		unstructured.RemoveNestedField(obj, "metadata", "labels")
	}
	return obj
}

// compareRenders fails on every object one render has and the other lacks, and on every field where
// two objects of the same kind, namespace and name differ after normalise.
func compareRenders(t *testing.T, what string, kustomized, helmed []*unstructured.Unstructured, skip func(*unstructured.Unstructured) bool) {
	t.Helper()
	k, h := map[string]*unstructured.Unstructured{}, index(helmed)
	for _, u := range kustomized {
		if !skip(u) {
			k[id(u)] = u
		}
	}
	if len(k) < 3 {
		t.Fatalf("%s: only %v rendered; the kustomize render is broken", what, ids(k))
	}
	for key, ku := range k {
		hu, ok := h[key]
		if !ok {
			t.Errorf("%s renders %s; the chart does not (chart objects: %v)", what, key, ids(h))
			continue
		}
		if d := diff("", normalise(ku), normalise(hu)); len(d) > 0 {
			t.Errorf("%s differs between %s (left) and the chart (right):\n  %s", key, what, strings.Join(d, "\n  "))
		}
	}
	for key := range h {
		if _, ok := k[key]; !ok {
			t.Errorf("the chart renders %s, which %s does not", key, what)
		}
	}
}

func isNamespace(u *unstructured.Unstructured) bool { return u.GetKind() == "Namespace" }

// TestDefaultsRenderWhatConfigDefaultApplies: `helm template leadops charts/leadops -n
// leadops-system --include-crds` with the chart's defaults gives the objects of
// `kubectl apply -k config/default` (the Namespace aside), field for field: the Deployment's args,
// env, ports, probes, security contexts, volumes and resources, the Services, the SQLite claim, the
// ServiceAccount, every RBAC rule and binding, and the CRDs.
func TestDefaultsRenderWhatConfigDefaultApplies(t *testing.T) {
	kustomized := kustomizeBuild(t, "config/default")
	helmed := mustHelm(t, nil)
	compareRenders(t, "config/default", kustomized, helmed, isNamespace)

	// The parity must have covered what matters most; a render that lost them would pass vacuously.
	for _, want := range [][2]string{
		{"Deployment", "leadops-controller-manager"}, {"ClusterRole", "leadops-manager-role"},
		{"PersistentVolumeClaim", "leadops-data"}, {"CustomResourceDefinition", "teams.leadops.io"},
		{"CustomResourceDefinition", "leadpolicies.leadops.io"}, {"CustomResourceDefinition", "teamgoals.leadops.io"},
	} {
		find(t, helmed, want[0], want[1])
	}
}

// TestPostgresValuesRenderWhatConfigPostgresApplies: the PostgreSQL values docs/helm.md gives (two
// replicas, PodDisruptionBudget, spread over nodes) render the objects of config/postgres.
func TestPostgresValuesRenderWhatConfigPostgresApplies(t *testing.T) {
	kustomized := kustomizeBuild(t, "config/postgres")
	helmed := mustHelm(t, postgresValues())
	compareRenders(t, "config/postgres", kustomized, helmed, isNamespace)
}

// postgresValues are the values of docs/helm.md's PostgreSQL example.
func postgresValues() map[string]any {
	return map[string]any{
		"store":               map[string]any{"type": "postgres"},
		"replicas":            2,
		"podDisruptionBudget": map[string]any{"enabled": true},
		"topologySpreadConstraints": []any{map[string]any{
			"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
			"labelSelector": map[string]any{"matchLabels": map[string]any{
				"control-plane": "controller-manager", "app.kubernetes.io/name": "leadops"}},
		}},
	}
}

// TestMonitoringRendersWhatConfigPrometheusApplies: with monitoring on, the chart adds config/prometheus's
// ServiceMonitor and PrometheusRule (the same alerts), and nothing else.
func TestMonitoringRendersWhatConfigPrometheusApplies(t *testing.T) {
	kustomized := append(kustomizeBuild(t, "config/default"), kustomizeBuild(t, "config/prometheus")...)
	helmed := mustHelm(t, map[string]any{"monitoring": map[string]any{
		"serviceMonitor": map[string]any{"enabled": true},
		"prometheusRule": map[string]any{"enabled": true},
	}})
	compareRenders(t, "config/default + config/prometheus", kustomized, helmed, isNamespace)
	rule := find(t, helmed, "PrometheusRule", "leadops-alerts")
	rules, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if len(rules) == 0 {
		t.Fatal("the PrometheusRule has no groups")
	}
	if expr := findAlertExpr(rules, "LeadopsSLABreached"); !strings.Contains(expr, "leadops_sla_overdue_handoffs") {
		t.Errorf("LeadopsSLABreached's expression is %q", expr)
	}
	if s := findAlertAnnotation(rules, "LeadopsSLABreached", "summary"); !strings.Contains(s, "{{ $labels.policy }}") {
		t.Errorf("the alert's Prometheus template did not survive Helm: summary %q", s)
	}
}

func findAlert(groups []any, name string) map[string]any {
	for _, g := range groups {
		rs, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rs {
			if m := r.(map[string]any); m["alert"] == name {
				return m
			}
		}
	}
	return nil
}

func findAlertExpr(groups []any, name string) string {
	s, _, _ := unstructured.NestedString(findAlert(groups, name), "expr")
	return s
}

func findAlertAnnotation(groups []any, name, key string) string {
	s, _, _ := unstructured.NestedString(findAlert(groups, name), "annotations", key)
	return s
}

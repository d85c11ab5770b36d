package admission

import (
	"context"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func admit(t *testing.T, doc string) *Result {
	t.Helper()
	set, err := Leadops()
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	k := set.Kind(u.GroupVersionKind())
	if k == nil {
		t.Fatalf("no kind %v", u.GroupVersionKind())
	}
	return k.Admit(context.Background(), u)
}

func TestLeadopsKinds(t *testing.T) {
	set, err := Leadops()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range set.Kinds() {
		got = append(got, k.GVK.String()+" "+k.Plural)
		if !k.Namespaced {
			t.Errorf("%s is not namespaced", k.GVK)
		}
	}
	want := []string{"leadops.io/v1alpha1, Kind=LeadExperiment leadexperiments", "leadops.io/v1alpha1, Kind=LeadPolicy leadpolicies", "leadops.io/v1alpha1, Kind=Team teams", "leadops.io/v1alpha1, Kind=TeamGoal teamgoals"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kinds %q, want %q", got, want)
	}
	if !set.Group("leadops.io") || set.Group("apps") {
		t.Error("Group")
	}
}

// TestAdmitPrunesDefaultsAndDropsStatus: the stored object has the schema's defaults, no unknown
// fields (reported) and no status (the status subresource owns it).
func TestAdmitPrunesDefaultsAndDropsStatus(t *testing.T) {
	res := admit(t, `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: p, namespace: default}
spec:
  extra: 1
  rules: [{name: all, teamRef: {name: sdr}}]
  sla: {firstTouch: {within: 1h}}
status: {routed: 5}
`)
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if !reflect.DeepEqual(res.UnknownFields, []string{"spec.extra"}) {
		t.Errorf("unknown fields %q", res.UnknownFields)
	}
	spec := res.Object.Object["spec"].(map[string]any)
	rule := spec["rules"].([]any)[0].(map[string]any)
	ft := spec["sla"].(map[string]any)["firstTouch"].(map[string]any)
	if rule["strategy"] != "RoundRobin" || spec["complianceWindow"] != "168h" || ft["clock"] != "BusinessHours" ||
		spec["sla"].(map[string]any)["breachConditionWindow"] != "15m" {
		t.Errorf("defaults not applied: %v", spec)
	}
	if _, ok := spec["extra"]; ok {
		t.Error("unknown field not pruned")
	}
	if _, ok := res.Object.Object["status"]; ok {
		t.Error("status kept on create")
	}
}

// TestAdmitRunsCELRulesUnlessBlocked: the x-kubernetes-validations rules run on a well-typed object,
// and are skipped, with the API server's note, after a type error.
func TestAdmitRunsCELRulesUnlessBlocked(t *testing.T) {
	doc := `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: p, namespace: default}
spec:
  rules: [{name: all, teamRef: {name: sdr}}]
  sla: {firstTouch: {within: 1h, warnBefore: 2h}}
`
	res := admit(t, doc)
	if len(res.Errors) != 1 || res.Errors[0].Error() != "spec.sla.firstTouch: Invalid value: warnBefore must be shorter than within: the warning has to come before the deadline" {
		t.Fatalf("errors %v", res.Errors)
	}
	res = admit(t, doc+"  priority: high\n")
	if len(res.Errors) != 2 || res.Errors[1].Detail != "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation" {
		t.Fatalf("errors %v", res.Errors)
	}
}

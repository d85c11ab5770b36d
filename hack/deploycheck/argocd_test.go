package deploycheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// toLua converts a decoded JSON value into the Lua value Argo CD hands its health scripts as `obj`.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		tb := L.NewTable()
		for _, e := range v {
			tb.Append(toLua(L, e))
		}
		return tb
	case map[string]any:
		tb := L.NewTable()
		for k, e := range v {
			tb.RawSetString(k, toLua(L, e))
		}
		return tb
	default:
		panic("unexpected JSON value")
	}
}

// runHealth runs a health script on an object the way Argo CD does: `obj` global, the script returns a
// table with status and message.
func runHealth(t *testing.T, script, objJSON string) (status, message string) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(objJSON), &obj); err != nil {
		t.Fatalf("bad sample: %v", err)
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	// The libraries Argo CD opens for resource customizations.
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		t.Fatalf("health.lua: %v", err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health.lua returned %s, want a table", L.Get(-1).Type())
	}
	return ret.RawGetString("status").String(), ret.RawGetString("message").String()
}

func readArgoScript(t *testing.T) (root, script string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "argocd", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return root, string(raw)
}

func TestArgoCDHealth(t *testing.T) {
	_, script := readArgoScript(t)
	const meta = `"apiVersion": "leadops.io/v1alpha1", "metadata": {"name": "inbound", "namespace": "sales", "generation": 3}`
	cases := []struct {
		name, kind  string
		obj         string
		wantStatus  string
		wantMessage string
	}{
		{name: "no status yet", kind: "LeadPolicy", obj: `{` + meta + `}`, wantStatus: "Progressing"},
		{name: "empty status", kind: "Team", obj: `{` + meta + `, "status": {}}`, wantStatus: "Progressing"},
		{name: "ready on the current generation", kind: "Team",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 3}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready"},
		{name: "ready but for an older generation", kind: "Team",
			obj:        `{` + meta + `, "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 2}]}}`,
			wantStatus: "Progressing"},
		{name: "observedGeneration only on the condition", kind: "TeamGoal",
			obj:        `{` + meta + `, "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 3}]}}`,
			wantStatus: "Healthy"},
		{name: "stale condition generation", kind: "TeamGoal",
			obj:        `{` + meta + `, "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 1}]}}`,
			wantStatus: "Progressing"},
		{name: "invalid expression", kind: "LeadPolicy",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "Ready", "status": "False", "reason": "InvalidExpression", "message": "spec.rules[0].when: ERROR: undefined field 'scor'", "observedGeneration": 3}]}}`,
			wantStatus: "Degraded", wantMessage: "InvalidExpression: spec.rules[0].when: ERROR: undefined field 'scor'"},
		{name: "team not found", kind: "TeamGoal",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "Ready", "status": "False", "reason": "TeamNotFound", "message": "Team \"sales\" not found", "observedGeneration": 3}]}}`,
			wantStatus: "Degraded", wantMessage: `TeamNotFound: Team "sales" not found`},
		{name: "invalid timezone without message", kind: "Team",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "Ready", "status": "False", "reason": "InvalidTimezone", "observedGeneration": 3}]}}`,
			wantStatus: "Degraded", wantMessage: "InvalidTimezone"},
		{name: "not ready on an old generation: the new spec may fix it", kind: "LeadPolicy",
			obj:        `{` + meta + `, "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "False", "reason": "InvalidSpec", "observedGeneration": 2}]}}`,
			wantStatus: "Progressing"},
		{name: "ready false while progressing", kind: "LeadPolicy",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "Ready", "status": "False", "reason": "Progressing", "message": "waiting for the store", "observedGeneration": 3}]}}`,
			wantStatus: "Progressing", wantMessage: "waiting for the store"},
		{name: "ready unknown", kind: "Team",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "Ready", "status": "Unknown", "reason": "Progressing", "observedGeneration": 3}]}}`,
			wantStatus: "Progressing"},
		{name: "no Ready condition", kind: "Team",
			obj:        `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [{"type": "OverCapacity", "status": "False", "reason": "WithinCapacity"}]}}`,
			wantStatus: "Progressing"},
		{name: "SLA breached is still healthy", kind: "LeadPolicy",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "breached": 2, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 3},
				{"type": "SLABreached", "status": "True", "reason": "FirstTouchOverdue", "observedGeneration": 3},
				{"type": "SLAAtRisk", "status": "False", "reason": "WithinSLA", "observedGeneration": 3},
				{"type": "CapacityExceeded", "status": "True", "reason": "LeadsQueued", "observedGeneration": 3}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready; SLABreached, CapacityExceeded"},
		{name: "data quality low is still healthy, and named", kind: "LeadPolicy",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 3},
				{"type": "DataQualityLow", "status": "True", "reason": "MissingFields", "observedGeneration": 3}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready; DataQualityLow"},
		{name: "recently breached, nothing overdue: still healthy, still named", kind: "LeadPolicy",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "breached": 0, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 3},
				{"type": "SLABreached", "status": "True", "reason": "RecentlyBreached", "observedGeneration": 3},
				{"type": "SLAAtRisk", "status": "False", "reason": "NoneAtRisk", "observedGeneration": 3}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready; SLABreached"},
		{name: "within SLA", kind: "LeadPolicy",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled", "observedGeneration": 3},
				{"type": "SLABreached", "status": "False", "reason": "WithinSLA", "observedGeneration": 3},
				{"type": "CapacityExceeded", "status": "False", "reason": "WithinCapacity", "observedGeneration": 3}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready"},
		{name: "over capacity team is healthy", kind: "Team",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled"},
				{"type": "OverCapacity", "status": "True", "reason": "LeadsQueued"}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready; OverCapacity"},
		{name: "goal at risk is healthy", kind: "TeamGoal",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled"},
				{"type": "OnTrack", "status": "False", "reason": "AtRisk"}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready; goal AtRisk"},
		{name: "goal on track", kind: "TeamGoal",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled"},
				{"type": "OnTrack", "status": "True", "reason": "OnTrack"}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready"},
		{name: "goal missed is healthy", kind: "TeamGoal",
			obj: `{` + meta + `, "status": {"observedGeneration": 3, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Reconciled"},
				{"type": "OnTrack", "status": "False", "reason": "Missed"}]}}`,
			wantStatus: "Healthy", wantMessage: "Ready; goal Missed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, message := runHealth(t, script, tc.obj)
			if status != tc.wantStatus {
				t.Errorf("%s: status %q (%s), want %q", tc.kind, status, message, tc.wantStatus)
			}
			if tc.wantMessage != "" && message != tc.wantMessage {
				t.Errorf("%s: message %q, want %q", tc.kind, message, tc.wantMessage)
			}
			if message == "" || message == "nil" {
				t.Errorf("%s: empty message", tc.kind)
			}
		})
	}
}

// TestArgoCDConfigMapPatch: the argocd-cm patch carries health.lua verbatim for the four kinds under
// the keys Argo CD reads (resource.customizations.health.<group>_<kind>).
func TestArgoCDConfigMapPatch(t *testing.T) {
	root, script := readArgoScript(t)
	raw, err := os.ReadFile(filepath.Join(root, "config", "argocd", "argocd-cm-patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var patch struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(raw, &patch); err != nil {
		t.Fatalf("argocd-cm-patch.yaml: %v", err)
	}
	for _, kind := range []string{"Team", "LeadPolicy", "TeamGoal", "LeadExperiment"} {
		key := "resource.customizations.health.leadops.io_" + kind
		if got, ok := patch.Data[key]; !ok {
			t.Errorf("argocd-cm-patch.yaml lacks %s", key)
		} else if got != script {
			t.Errorf("%s differs from config/argocd/health.lua: copy the script in verbatim", key)
		}
	}
	if len(patch.Data) != 4 {
		t.Errorf("argocd-cm-patch.yaml has %d keys, want 4", len(patch.Data))
	}
}

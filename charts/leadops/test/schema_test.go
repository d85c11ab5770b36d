package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestSchemaRefusesBadValues: `helm install -f bad.yaml` fails with Helm's schema error for values
// of the wrong type, unknown keys (a typo would otherwise be ignored silently) and out-of-range ones.
func TestSchemaRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"replicas as a word", "replicas: two\n", "replicas"},
		{"unknown top-level key", "replica: 2\n", "replica"},
		{"unknown nested key", "store:\n  type: postgres\n  dsn: postgres://x\n", "dsn"},
		{"unknown store type", "store:\n  type: mysql\n", "store"},
		{"negative replicas", "replicas: -1\n", "replicas"},
		{"port out of range", "service:\n  api:\n    port: 70000\n", "port"},
		{"secret mount without a path", "secretMounts:\n  - name: hubspot\n    secretName: leadops-hubspot\n", "mountPath"},
		{"secret mount shadowing the data volume", "secretMounts:\n  - name: data\n    secretName: x\n    mountPath: /x\n", "secretMounts"},
		{"flag without dashes", "extraArgs: [\"crm-config=/x\"]\n", "extraArgs"},
		{"monitoring typo", "monitoring:\n  serviceMonitor:\n    enable: true\n", "enable"},
		{"bad interval", "monitoring:\n  serviceMonitor:\n    interval: soon\n", "interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			vals, err := chartutil.ReadValuesFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = helmTemplate(t, release, namespace, vals.AsMap())
			if err == nil {
				t.Fatalf("Helm accepted\n%s", tc.file)
			}
			msg := err.Error()
			if !strings.Contains(msg, "values don't meet the specifications of the schema") || !strings.Contains(msg, tc.want) {
				t.Errorf("want the schema's refusal naming %q, got: %v", tc.want, err)
			}
		})
	}
}

// TestSchemaDescribesEveryValue: every key of values.yaml is a property of values.schema.json, down
// to its leaves, and the schema's top level has no property values.yaml lacks (besides Helm's
// global), so that the two change together.
func TestSchemaDescribesEveryValue(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(mustRead(t, filepath.Join(chartDir(t), "values.schema.json")), &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	defaults := chartValues(t)
	var missing []string
	var walk func(path string, v any, s map[string]any)
	walk = func(path string, v any, s map[string]any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			return // a free-form object (affinity, crmConfig…)
		}
		for k, sub := range m {
			p := strings.TrimPrefix(path+"."+k, ".")
			ps, ok := props[k].(map[string]any)
			if !ok {
				missing = append(missing, p)
				continue
			}
			walk(p, sub, ps)
		}
	}
	walk("", defaults, schema)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("values.yaml keys without a property in values.schema.json (additionalProperties false refuses them): %v", missing)
	}
	for k := range schema["properties"].(map[string]any) {
		if _, ok := defaults[k]; !ok && k != "global" {
			t.Errorf("values.schema.json describes %s, which values.yaml does not set", k)
		}
	}
	if schema["additionalProperties"] != false {
		t.Error("values.schema.json's top level must refuse unknown keys (additionalProperties: false)")
	}
}

// TestChartLints: `helm lint --strict` finds no error or warning, with the defaults and with every
// optional object on.
func TestChartLints(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"defaults": nil,
		"postgres and monitoring": func() map[string]any {
			v := postgresValues()
			v["monitoring"] = map[string]any{"serviceMonitor": map[string]any{"enabled": true}, "prometheusRule": map[string]any{"enabled": true}}
			return v
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = namespace
			res := lint.Run([]string{chartDir(t)}, vals)
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				}
			}
			for _, err := range res.Errors {
				t.Errorf("helm lint: %v", err)
			}
		})
	}
}

// Package deploycheck holds the tests of what the project ships for clusters and operators: every
// kustomization under config/ renders and its objects are valid and hardened (render_test.go), the
// alerts pass `promtool test rules` (alerts_test.go), the Grafana dashboard queries only metrics the
// manager exports (dashboard_test.go), the Argo CD health check gives the documented health for
// sample statuses (argocd_test.go), and the Dockerfile's build line yields a static manager from the
// files it copies (dockerfile_test.go).
package deploycheck

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is the directory holding go.mod, found upwards from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// readYAML decodes a YAML file strictly enough for the checks: unknown fields are ignored, syntax
// errors fail the test.
func readYAML(t testing.TB, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

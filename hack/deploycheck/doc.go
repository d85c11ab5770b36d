// Package deploycheck holds the tests of what the project ships for clusters and operators: every
// kustomization under config/ renders and its objects are valid and hardened (render_test.go), the
// alerts pass `promtool test rules` (alerts_test.go), the Grafana dashboard queries only metrics the
// manager exports (dashboard_test.go), the Argo CD health check gives the documented health for
// sample statuses (argocd_test.go), and the Dockerfile's build line yields a static manager from the
// files it copies (dockerfile_test.go).
package deploycheck

import (
	"os"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/testutil/kubeenv"
)

// repoRoot is the directory holding go.mod.
func repoRoot() (string, error) { return kubeenv.RepoRoot() }

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

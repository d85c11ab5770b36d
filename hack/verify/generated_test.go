// Package verify holds checks that keep committed, generated files true to their sources.
package verify

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/leadops/leadops/internal/testutil/kubeenv"
)

// TestGeneratedFilesAreCurrent regenerates the DeepCopy code, the CRDs and the RBAC role into a temp
// directory and fails when the committed copies differ: run `make generate manifests` and commit.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	root, err := kubeenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	gen := os.Getenv("CONTROLLER_GEN")
	if gen == "" {
		matches, _ := filepath.Glob(filepath.Join(root, "bin", "controller-gen-*"))
		if len(matches) != 1 {
			t.Fatalf("controller-gen not found: run `make controller-gen` (or `make test`, which installs it) first")
		}
		gen = matches[0]
	}
	tmp := t.TempDir()
	cmd := exec.Command(gen,
		`object:headerFile=hack/boilerplate.go.txt`, `paths=./api/...`, "output:object:dir="+filepath.Join(tmp, "object"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen object: %v\n%s", err, out)
	}
	cmd = exec.Command(gen, "rbac:roleName=manager-role", "crd", `paths=./api/...`, `paths=./controllers/...`,
		"output:crd:dir="+filepath.Join(tmp, "crd"), "output:rbac:dir="+filepath.Join(tmp, "rbac"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen crd/rbac: %v\n%s", err, out)
	}

	pairs := map[string]string{
		filepath.Join(tmp, "object", "zz_generated.deepcopy.go"): filepath.Join(root, "api", "v1alpha1", "zz_generated.deepcopy.go"),
		filepath.Join(tmp, "rbac", "role.yaml"):                  filepath.Join(root, "config", "rbac", "role.yaml"),
	}
	crds, _ := filepath.Glob(filepath.Join(tmp, "crd", "*.yaml"))
	committed, _ := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if len(crds) != len(committed) {
		t.Fatalf("controller-gen produced %d CRDs, config/crd/bases holds %d: run `make manifests` and commit", len(crds), len(committed))
	}
	for _, f := range crds {
		pairs[f] = filepath.Join(root, "config", "crd", "bases", filepath.Base(f))
	}
	for fresh, committed := range pairs {
		want, err := os.ReadFile(fresh)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Errorf("%s is missing: run `make generate manifests` and commit the result", committed)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make generate manifests` and commit the result", committed)
		}
	}
}

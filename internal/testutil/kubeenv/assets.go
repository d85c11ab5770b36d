// Package kubeenv gives tests a real kube-apiserver and etcd through controller-runtime's envtest.
package kubeenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Assets returns the directory holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS when set, else
// whatever hack/envtest-assets.sh provides (its cache, or a build from the Go module proxy).
func Assets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "hack", "envtest-assets.sh")
	cmd := exec.Command("bash", script)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("providing envtest binaries with %s failed (run `make envtest` to see why): %w", script, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// RepoRoot finds the module root by walking up from the working directory to go.mod.
func RepoRoot() (string, error) {
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
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

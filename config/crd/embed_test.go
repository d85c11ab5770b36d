package crd

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestEmbeddedCRDsAreCurrent fails when the embedded copy differs from config/crd/bases: every file of
// bases/ is embedded byte for byte, nothing else is, and every CRD the kustomization installs is among
// them.
func TestEmbeddedCRDsAreCurrent(t *testing.T) {
	onDisk, err := filepath.Glob(filepath.Join("bases", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := fs.Glob(Bases, "bases/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range onDisk {
		onDisk[i] = filepath.ToSlash(onDisk[i])
	}
	slices.Sort(onDisk)
	slices.Sort(embedded)
	if !slices.Equal(onDisk, embedded) {
		t.Fatalf("embedded CRDs %v, config/crd/bases has %v: rebuild", embedded, onDisk)
	}
	if len(embedded) < 3 {
		t.Fatalf("only %d CRDs embedded", len(embedded))
	}
	for _, name := range embedded {
		want, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Bases.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("embedded %s differs from the file on disk: rebuild", name)
		}
	}
	raw, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	for _, r := range k.Resources {
		if !slices.Contains(embedded, r) {
			t.Errorf("kustomization.yaml installs %s, which is not embedded", r)
		}
	}
}

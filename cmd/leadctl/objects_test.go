package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPreviewRefusesWhatTheAPIServerRefuses: a proposal kube-apiserver would not admit (a strategy
// outside the CRD's enum) stops the preview with validate's message, at the same position.
func TestPreviewRefusesWhatTheAPIServerRefuses(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "leads.db")
	seedPreview(t, dsn)
	dir := previewDir(t)
	bad := filepath.Join(dir, "policy.yaml")
	lp, _, _ := strings.Cut(previewPolicy, "---\n") // the LeadPolicy alone
	write(t, bad, strings.Replace(lp, "strategy: RoundRobin", "strategy: Random", 1))
	code, stdout, _ := leadctl(t, nil, "validate", dir)
	var errs []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, ": error: ") {
			errs = append(errs, l)
		}
	}
	want := strings.Join(errs, "\n")
	if code != exitError || !strings.Contains(want, "policy.yaml:21:7: error: spec.rules[1].strategy: Unsupported value: \"Random\"") {
		t.Fatalf("validate: %d %s", code, stdout)
	}
	code, _, stderr := leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--since", "1d")
	if code != exitError || stderr != "leadctl preview: the proposal: "+want+"\n" {
		t.Errorf("preview: %d %q, want the message %q", code, stderr, want)
	}
}

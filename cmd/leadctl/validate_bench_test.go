package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkValidateSamples is `leadctl validate config/samples` in-process, after the first run has
// loaded the CRDs and compiled their rules: reading the files, admission, the leadops checks, output.
func BenchmarkValidateSamples(b *testing.B) {
	samples := filepath.Join("..", "..", "config", "samples")
	e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	if code := run(context.Background(), []string{"validate", samples}, e); code != exitOK {
		b.Fatalf("exit status %d", code)
	}
	b.ResetTimer()
	for range b.N {
		run(context.Background(), []string{"validate", samples}, e)
	}
}

// BenchmarkValidateSamplesProcess is the wall time a user waits for `leadctl validate config/samples`:
// a new process each run, which parses the embedded CRDs, compiles their CEL rules and the lead
// environment, then validates.
func BenchmarkValidateSamplesProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "leadctl")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	samples := filepath.Join("..", "..", "config", "samples")
	b.ResetTimer()
	for range b.N {
		if out, err := exec.Command(bin, "validate", samples).CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}

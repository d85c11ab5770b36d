package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestProgramName(t *testing.T) {
	for argv0, want := range map[string]string{
		"leadctl":                     "leadctl",
		"/usr/local/bin/leadctl":      "leadctl",
		"./bin/kubectl-leads":         "kubectl leads",
		`C:\bin\kubectl-leads.exe`:    "kubectl leads",
		"/tmp/go-build1/leadctl.test": "leadctl",
		"kubectl-leads-ops":           "kubectl leads ops",
		"kubectl-lead_ops":            "kubectl lead-ops",
		"kubectl-":                    "leadctl",
	} {
		if runtime.GOOS != "windows" && strings.Contains(argv0, `\`) {
			argv0 = strings.ReplaceAll(argv0, `\`, "/")
		}
		if got := programName(argv0); got != want {
			t.Errorf("programName(%q) = %q, want %q", argv0, got, want)
		}
	}
}

// krewPlugin is the part of krew's Plugin manifest (krew.googlecontainertools.github.com/v1alpha2)
// that krew checks before it installs anything.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
			Bin string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// TestKrewManifest parses plugins/leads.yaml as krew reads it: the plugin is `leads` (so kubectl runs
// it for `kubectl leads`), every platform installs and runs the binary kubectl-leads, which `make build`
// writes.
func TestKrewManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "plugins", "leads.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(raw, &p); err != nil {
		t.Fatalf("plugins/leads.yaml: %v", err)
	}
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" {
		t.Errorf("apiVersion %q kind %q", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name != "leads" {
		t.Errorf("the plugin is named %q; kubectl runs kubectl-leads for `kubectl leads`", p.Metadata.Name)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(p.Spec.Version) {
		t.Errorf("version %q is not a v-prefixed semantic version", p.Spec.Version)
	}
	if p.Spec.ShortDescription == "" || len(p.Spec.ShortDescription) > 50 || p.Spec.Homepage == "" || p.Spec.Description == "" {
		t.Errorf("shortDescription (at most 50 characters), homepage and description are required")
	}
	if len(p.Spec.Platforms) < 3 {
		t.Fatalf("%d platforms", len(p.Spec.Platforms))
	}
	for _, pl := range p.Spec.Platforms {
		os, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		bin := "kubectl-leads"
		if os == "windows" {
			bin += ".exe"
		}
		if os == "" || arch == "" {
			t.Errorf("a platform without os and arch labels: %v", pl.Selector.MatchLabels)
		}
		if pl.Bin != bin {
			t.Errorf("%s/%s: bin %q, want %q", os, arch, pl.Bin, bin)
		}
		installs := false
		for _, f := range pl.Files {
			installs = installs || f.From == bin
		}
		if !installs {
			t.Errorf("%s/%s: the files do not install %s", os, arch, bin)
		}
		if !strings.HasPrefix(pl.URI, "https://") || !strings.Contains(pl.URI, p.Spec.Version) || !strings.Contains(pl.URI, os+"_"+arch) {
			t.Errorf("%s/%s: uri %q", os, arch, pl.URI)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(pl.Sha256) {
			t.Errorf("%s/%s: sha256 %q is not 64 hex digits", os, arch, pl.Sha256)
		}
	}
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	_, build, _ := strings.Cut(string(makefile), "\nbuild:")
	build, _, _ = strings.Cut(build, "\n\n")
	if !strings.Contains(build, "$(LOCALBIN)/kubectl-leads") {
		t.Errorf("`make build` does not write bin/kubectl-leads:\n%s", build)
	}
}

// buildPlugin builds this package as kubectl-leads into a directory and returns it.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	name := "kubectl-leads"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	buildBinary(t, bin, name)
	return bin
}

// TestKubectlPlugin installs the binary as kubectl-leads on PATH and runs it through the real kubectl:
// `kubectl leads` is leadctl, and its usage text says `kubectl leads`.
func TestKubectlPlugin(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed: the plugin is run through the real kubectl (Debian/Ubuntu: apt-get install kubectl)")
	}
	bin := buildPlugin(t)
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(kubectl, args...)
		cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := run("leads", "--help")
	if code != 0 || !strings.HasPrefix(stdout, "Usage: kubectl leads [connection flags] COMMAND") ||
		!strings.Contains(stdout, "Run 'kubectl leads COMMAND --help'") || !strings.Contains(stdout, "  validate ") {
		t.Fatalf("kubectl leads --help: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run("leads", "validate", "--help")
	if code != 0 || !strings.HasPrefix(stdout, "Usage: kubectl leads validate [flags] PATH…") {
		t.Fatalf("kubectl leads validate --help: exit %d\n%s", code, stdout)
	}
	good := filepath.Join("testdata", "validate", "good")
	if code, stdout, stderr = run("leads", "validate", "--at", validateAt, good); code != 0 || stdout != "" {
		t.Fatalf("kubectl leads validate: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	bad := filepath.Join("testdata", "validate", "bad", "team_timezone.yaml")
	if code, stdout, _ = run("leads", "validate", bad); code != 1 || !strings.HasPrefix(stdout, bad+":7:3: error: spec.timezone: unknown timezone") {
		t.Fatalf("kubectl leads validate (bad): exit %d\n%s", code, stdout)
	}
}

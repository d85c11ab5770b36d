package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// validateReadmeSection is the README subsection whose examples TestValidateREADMEExamples runs.
const validateReadmeSection = "### `leadctl validate` and `kubectl leads`"

// validateReadmeBlocks returns the section's first ```sh block (the command lines) and the ```text block
// after it (what the first line prints, stdout then stderr).
func validateReadmeBlocks(t *testing.T) (lines []string, output string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n"+validateReadmeSection+"\n")
	if !ok {
		t.Fatalf("README.md has no section %q", validateReadmeSection)
	}
	if i := regexp.MustCompile(`\n##+ `).FindStringIndex(section); i != nil {
		section = section[:i[0]]
	}
	_, sh, ok1 := strings.Cut(section, "\n```sh\n")
	sh, rest, ok2 := strings.Cut(sh, "\n```\n")
	_, text, ok3 := strings.Cut(rest, "\n```text\n")
	text, _, ok4 := strings.Cut(text, "\n```\n")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatalf("the section %q lacks its sh block and the text block after it", validateReadmeSection)
	}
	return strings.Split(sh, "\n"), text + "\n"
}

// exitComment is the exit status an example line announces ("# exit 1: …").
var exitComment = regexp.MustCompile(`#\s*exit (\d)`)

// TestValidateREADMEExamples runs the README's validate and plugin examples as printed, from the
// repository's root, by a POSIX shell with leadctl and kubectl-leads built from this package first on
// PATH and the real kubectl: each exits as its comment says, and the first prints exactly the text block
// that follows them.
func TestValidateREADMEExamples(t *testing.T) {
	lines, output := validateReadmeBlocks(t)
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "leadctl validate ") || !strings.Contains(strings.Join(lines, "\n"), "kubectl leads validate") {
		t.Fatalf("the examples are %q; the extraction is broken", lines)
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed: the README's plugin example runs the real kubectl (Debian/Ubuntu: apt-get install kubectl)")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh on PATH: the README examples are run by a POSIX shell")
	}
	bin := buildPlugin(t)
	if err := os.Link(filepath.Join(bin, "kubectl-leads"), filepath.Join(bin, "leadctl")); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range lines {
		t.Run("example"+strconv.Itoa(i+1), func(t *testing.T) {
			m := exitComment.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%q does not say its exit status (# exit N)", line)
			}
			want, _ := strconv.Atoi(m[1])
			cmd := exec.Command(sh, "-c", line)
			cmd.Dir = root
			cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + filepath.Dir(kubectl) + string(os.PathListSeparator) + os.Getenv("PATH"),
				"HOME=" + t.TempDir()}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			code := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			if code != want {
				t.Fatalf("%s\nexit status %d, want %d\nstdout:\n%s\nstderr:\n%s", line, code, want, stdout.String(), stderr.String())
			}
			switch {
			case i == 0:
				if got := stdout.String() + stderr.String(); got != output {
					t.Errorf("%s\nprints:\n%s\nthe README shows:\n%s", line, got, output)
				}
			case strings.Contains(line, "-f -"):
				// kustomize rewrites the YAML, so positions are in its output: the warning is the same.
				if !regexp.MustCompile(`^<stdin>:\d+:\d+: warning: spec\.sla\.acceptance\.within: 24h on the wall clock`).MatchString(stdout.String()) {
					t.Errorf("%s\nstdout:\n%s\nstderr:\n%s", line, stdout.String(), stderr.String())
				}
			}
		})
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// The how-to "Review routing changes in a pull request" and the README's "Before and after a merge"
// block promise that their leadctl lines run as printed. This test runs them.

const (
	howtoPath         = "docs/howto-review-routing-changes.md"
	readmeMergeHeader = "### Before and after a merge"
)

// docCommands returns the leadctl lines of a Markdown file: in ```sh blocks, and the `run: leadctl …`
// steps of ```yaml blocks (the CI job). With after set, only the first ```sh block after that line.
func docCommands(t *testing.T, rel, after string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	block := ""
	seen := after == ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case !seen:
			seen = line == after
		case block == "" && strings.HasPrefix(line, "```"):
			block = strings.TrimPrefix(line, "```")
		case block != "" && line == "```":
			if after != "" && block == "sh" {
				return lines
			}
			block = ""
		case block == "sh" && strings.HasPrefix(trimmed, "leadctl "):
			lines = append(lines, trimmed)
		case block == "yaml" && strings.HasPrefix(trimmed, "run: leadctl "):
			lines = append(lines, strings.TrimPrefix(trimmed, "run: "))
		}
	}
	return lines
}

// TestDocsCommandsRun runs every leadctl line of the how-to and of the README's merge block with a
// leadctl built from this package, in a directory where config/samples is the repository's, with
// LEADCTL_STORE naming a seeded SQLite store. Each must exit 0. A command that is not (yet) a leadctl
// command is reported as skipped, never passed silently.
func TestDocsCommandsRun(t *testing.T) {
	howto := docCommands(t, howtoPath, "")
	readme := docCommands(t, "README.md", readmeMergeHeader)
	if len(howto) < 8 || len(readme) < 4 {
		t.Fatalf("found %d leadctl lines in %s and %d in the README's %q block; the extraction is broken", len(howto), howtoPath, len(readme), readmeMergeHeader)
	}
	sh, work, bin := docWorkdir(t)
	// The store: a lead the samples route, one their gate refuses, created now, so that the 30-day
	// preview window holds them; crm-1 is the lead the explain lines name.
	dbPath := filepath.Join(work, "leads.db")
	st := openSQLite(t, dbPath, store.Options{})
	for _, in := range []store.LeadInput{
		{ExternalID: "crm-1", Company: "Acme", Domain: "acme.example", Source: "web", Campaign: "spring", Score: 72, Employees: 50},
		{ExternalID: "crm-2", Company: "Beta", Domain: "beta.example", Source: "web", Score: 30, Employees: 10},
	} {
		if _, _, err := st.UpsertLead(context.Background(), in, "hubspot"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	known := map[string]bool{}
	for _, c := range commands() {
		known[c.name] = true
	}
	for i, line := range append(howto, readme...) {
		where := howtoPath
		if i >= len(howto) {
			where = "README.md"
		}
		t.Run(fmt.Sprintf("%s#%d", filepath.Base(where), i+1), func(t *testing.T) {
			t.Log(line)
			if f := strings.Fields(line); len(f) < 2 || !known[f[1]] {
				t.Fatalf("the docs show %q, which is not a leadctl command", line)
			}
			cmd := exec.Command(sh, "-c", line)
			cmd.Dir = work
			cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + work,
				"LEADCTL_STORE=sqlite://" + dbPath}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s (in %s): %v\nstdout:\n%s\nstderr:\n%s", line, where, err, stdout.String(), stderr.String())
			}
			switch {
			case strings.Contains(line, " explain "):
				if !strings.Contains(stdout.String(), "Acme (crm-1)") {
					t.Errorf("explain does not tell crm-1's story:\n%s", stdout.String())
				}
			case strings.Contains(line, "--chart q1.svg"):
				raw, err := os.ReadFile(filepath.Join(work, "q1.svg"))
				if err != nil {
					t.Fatal(err)
				}
				checkSVG(t, raw, "Funnel by source, 2027-Q1")
			case strings.Contains(line, " scorecard "):
				if !strings.Contains(stdout.String(), "2027") {
					t.Errorf("scorecard output:\n%s", stdout.String())
				}
			}
		})
	}
}

// docWorkdir is where the documented commands run: the shell that runs them, a work directory whose
// config/ is the repository's (so config/samples paths work as printed) and a bin directory holding
// leadctl built from this package.
func docWorkdir(t *testing.T) (sh, work, bin string) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh on PATH: the documented commands are run by a POSIX shell")
	}
	work, bin = t.TempDir(), t.TempDir()
	buildBinary(t, bin, "leadctl")
	repoConfig, err := filepath.Abs(filepath.Join("..", "..", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(repoConfig, filepath.Join(work, "config")); err != nil {
		t.Fatal(err)
	}
	return sh, work, bin
}

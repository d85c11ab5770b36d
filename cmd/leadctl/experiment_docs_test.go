package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
)

// TestExperimentDocCommandsRun runs every leadctl line of docs/experiments.md, as printed, with a
// leadctl built from this package, in a directory where config/samples is the repository's, with
// LEADCTL_STORE naming a SQLite store seeded with the sample experiment's leads: ae-direct accepted
// twice as often as sdr-first.
func TestExperimentDocCommandsRun(t *testing.T) {
	const doc = "docs/experiments.md"
	lines := docCommands(t, doc, "")
	if len(lines) < 5 {
		t.Fatalf("found %d leadctl lines in %s; the extraction is broken", len(lines), doc)
	}
	sh, work, bin := docWorkdir(t)
	dbPath := filepath.Join(work, "leads.db")
	st := openSQLite(t, dbPath, store.Options{})
	seedArm(t, st, "default/spring-threshold", "sdr-first", 120, 30, 10, 5000, 40*time.Minute)
	seedArm(t, st, "default/spring-threshold", "ae-direct", 120, 60, 15, 5000, 15*time.Minute)
	st.Close()

	known := map[string]bool{}
	for _, c := range commands() {
		known[c.name] = true
	}
	for i, line := range lines {
		t.Run(fmt.Sprintf("#%d", i+1), func(t *testing.T) {
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
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", line, err, stdout.String(), stderr.String())
			}
			out := stdout.String()
			var want []string
			switch {
			case strings.Contains(line, "--chart spring-threshold.png"):
				f, err := os.Open(filepath.Join(work, "spring-threshold.png"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := png.Decode(f); err != nil {
					t.Errorf("the chart is not a PNG: %v", err)
				}
			case strings.Contains(line, "experiment report") && strings.Contains(line, "-o json"):
				want = []string{`"verdict": "Winner"`, `"winner": "ae-direct"`}
			case strings.Contains(line, "experiment report") && strings.Contains(line, "2027-03-16"):
				want = []string{"Verdict: Winner (ae-direct)", "Secondary metric RevenuePerLead"}
				// The page prints this report in full: it must be what the command prints.
				if printed := docTextBlock(t, doc); trimLines(out) != trimLines(printed) {
					t.Errorf("%s prints a report that is not the command's output; the command prints:\n%s", doc, out)
				}
			case strings.Contains(line, "experiment report"):
				want = []string{"Verdict: Running", "No winner is declared before"}
			case strings.Contains(line, " scorecard "):
				want = []string{"Experiments", "default/spring-threshold", "Winner (ae-direct)"}
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// docTextBlock is the first ```text block of the Markdown file.
func docTextBlock(t *testing.T, rel string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "\n```text\n")
	if !ok {
		t.Fatalf("%s has no text block", rel)
	}
	block, _, _ := strings.Cut(rest, "\n```\n")
	return block
}

// trimLines drops trailing spaces of every line and trailing blank lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

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
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// readmeSection is the README section whose example block this test runs.
const readmeSection = "## The lead store, its HTTP API and `leadctl`"

// readmeExamples returns the curl and leadctl lines of the first ```sh block of the section.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	inSection, inBlock := false, false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == readmeSection:
			inSection = true
		case inSection && strings.HasPrefix(line, "## "):
			return lines
		case inSection && !inBlock && line == "```sh":
			inBlock = true
		case inBlock && line == "```":
			return lines
		case inBlock && (strings.HasPrefix(line, "curl ") || strings.HasPrefix(line, "leadctl ")):
			lines = append(lines, line)
		}
	}
	return lines
}

// TestREADMEExamples runs the README's lead store examples as a user types them: the real curl and a
// leadctl built from this package, against a real API server on 127.0.0.1 whose token file is in the
// name:token format the README describes, with $TOKEN set and the files the examples name (tokens,
// leads.csv) in the working directory. Only the address, <id> (the lead the curl line creates) and
// postgres://… are substituted: the store here is SQLite, because the example's PostgreSQL DSN has no
// server behind it and both backends pass one conformance suite.
func TestREADMEExamples(t *testing.T) {
	examples := readmeExamples(t)
	var curls, ctls int
	for _, l := range examples {
		if strings.HasPrefix(l, "curl ") {
			curls++
		} else {
			ctls++
		}
	}
	if curls < 1 || ctls < 3 {
		t.Fatalf("found %d curl and %d leadctl lines in the README section %q; the extraction is broken", curls, ctls, readmeSection)
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not installed: the README examples are run with the real curl. Install it (Debian/Ubuntu: apt-get install curl; Alpine: apk add curl; macOS ships it)")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh on PATH: the README examples are run by a POSIX shell")
	}

	work, bin := t.TempDir(), t.TempDir()
	buildBinary(t, bin, "leadctl")

	// The server, with its token file as the README describes it; leadctl gets the same file.
	const token = "readme-token-0123456789"
	write(t, filepath.Join(work, "tokens"), "# API tokens, one per line, optionally name:token\nops:"+token+"\nhubspot:another-token-9876543210\n")
	write(t, filepath.Join(work, "leads.csv"), "externalId,E-Mail,Company\ncsv-1,bo@example.com,Beta\n")
	dbPath := filepath.Join(work, "leads.db")
	st := openSQLite(t, dbPath, store.Options{})
	url := serveAPI(t, st, filepath.Join(work, "tokens"))

	// <id> is the lead the curl example creates. The controller would route it; here the test does, so
	// that get, list and touch act on a lead in the state they are meant for.
	leadID := func(t *testing.T) string {
		t.Helper()
		l, err := st.GetLeadByExternalID(context.Background(), "crm-1")
		if err != nil {
			t.Fatalf("an example uses <id>, but the curl example did not create lead crm-1: %v", err)
		}
		if l.Stage != lead.StageNew {
			return l.ID
		}
		if l, err = st.Apply(context.Background(), l.ID, store.Activity{Kind: store.ActivityQualify, Actor: "controller"}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		l.Stage, l.Owner, l.Team, l.Policy, l.RoutedAt = lead.StageRouted, "sdr-1", "sales/sdr", "default/inbound", &now
		l.BreachCount, l.LastBreachAt = 1, &now
		if l, err = st.Update(context.Background(), l, store.AuditEvent{At: now, Actor: "controller", Type: lead.EventRouted,
			Data: map[string]any{"owner": "sdr-1", "team": "sales/sdr"}}); err != nil {
			t.Fatal(err)
		}
		return l.ID
	}

	for i, example := range examples {
		t.Run(fmt.Sprintf("example%d", i+1), func(t *testing.T) {
			t.Log(example)
			line := strings.ReplaceAll(example, "http://127.0.0.1:8082", url)
			line = strings.ReplaceAll(line, "postgres://…", "sqlite://"+dbPath)
			if strings.Contains(line, "<id>") {
				line = strings.ReplaceAll(line, "<id>", leadID(t))
			}
			isCurl := strings.HasPrefix(line, "curl ")
			if isCurl {
				// Not part of the example: curl exits 0 on any HTTP status, so print it to check it.
				line += " -sS -o curl-body -w '%{http_code}'"
			}
			cmd := exec.Command(sh, "-c", line)
			cmd.Dir = work
			cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + filepath.Dir(curl) + string(os.PathListSeparator) + os.Getenv("PATH"),
				"TOKEN=" + token, "HOME=" + work}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", line, err, stdout.String(), stderr.String())
			}
			if isCurl {
				body, _ := os.ReadFile(filepath.Join(work, "curl-body"))
				if code := stdout.String(); !strings.HasPrefix(code, "2") {
					t.Fatalf("HTTP %s, want 2xx: %s", code, body)
				}
				return
			}
			// A dry run checks the file without connecting, so it reads no token.
			if strings.Contains(line, "--token-file tokens") && !strings.Contains(line, "--dry-run") &&
				!strings.Contains(stderr.String(), `leadctl: using token "ops" from tokens`) {
				t.Errorf("stderr does not say which token of the file is used: %q", stderr.String())
			}
			var want string
			switch {
			case strings.Contains(line, " import "):
				want = "dry run: 1 lead would be imported"
			case strings.Contains(line, " get "):
				want = "handed to sdr-1 in team sales/sdr"
			case strings.Contains(line, " list "):
				want = "crm-1"
			case strings.Contains(line, " touch "):
				want = "contacted by sales"
			}
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
			}
		})
	}
}

package api_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const eventsDoc = "docs/events-feed.md"

// docScript returns the first ```sh block of a Markdown file under the repository root.
func docScript(t *testing.T, rel string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && line == "```sh":
			in = true
		case in && line == "```":
			return b.String()
		case in:
			b.WriteString(line + "\n")
		}
	}
	t.Fatalf("%s has no ```sh block", rel)
	return ""
}

// TestEventsDocRuns runs the curl block of docs/events-feed.md as printed, as one sh script with the
// real curl, against a real server holding four events (two leads created, one of them qualified and
// routed). Only the address is substituted. The first page (limit=2) holds the two created events; the
// second, from its next, the other two; the filtered one the routed event: so the script reads next
// correctly, and the long poll answers at once when there are events.
func TestEventsDocRuns(t *testing.T) {
	script := docScript(t, eventsDoc)
	if strings.Count(script, "curl ") < 3 {
		t.Fatalf("found %d curl lines in %s; the extraction is broken", strings.Count(script, "curl "), eventsDoc)
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not installed: the docs' examples are run with the real curl. Install it (Debian/Ubuntu: apt-get install curl; Alpine: apk add curl; macOS ships it)")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh on PATH: the docs' examples are run by a POSIX shell")
	}
	st := openDSN(t, "sqlite://"+filepath.Join(t.TempDir(), "leads.db"))
	ts := startServer(t, st, nil)
	ctx := context.Background()
	a, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "doc-1"}, "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "doc-2"}, "hubspot"); err != nil {
		t.Fatal(err)
	}
	routeLead(t, st, a.ID, "ana", "default/sales-emea")

	script = strings.ReplaceAll(script, "http://127.0.0.1:8082", ts.url)
	cmd := exec.Command(sh, "-e", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + filepath.Dir(curl) + string(os.PathListSeparator) + os.Getenv("PATH"), "TOKEN=" + tokenAlice, "HOME=" + cmd.Dir}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the script took %s: the long poll waited although there were events", d)
	}
	out := stdout.String()
	for typ, want := range map[string]int{lead.EventCreated: 2, lead.EventQualified: 1, lead.EventRouted: 2} {
		if got := strings.Count(out, `"type": "`+typ+`"`); got != want {
			t.Errorf("%d %s events in the output, want %d (first page, the page after its next, the filtered read):\n%s", got, typ, want, out)
		}
	}
	if strings.Contains(out, `"error"`) {
		t.Errorf("an example answered with an error:\n%s", out)
	}

	// Without TOKEN the script stops at once and says what to set.
	cmd = exec.Command(sh, "-e", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "export TOKEN") {
		t.Errorf("without TOKEN: %v %s", err, msg)
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const apiToken = "leadctl-test-token-1234567890"

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// leadctl runs one command in-process and returns its exit code and output.
func leadctl(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, args, e)
	return code, out.String(), errOut.String()
}

func (h *harness) count(t *testing.T) int {
	t.Helper()
	page, err := h.st.ListLeads(context.Background(), store.ListFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Leads)
}

// importFile has three good rows (lines 2, 4, 6) and three bad ones.
const importFile = "Lead Number,E-Mail,Company Name,Domain,Employees,Score\n" + // 1
	"CRM-1,ann@example.com,Acme,acme.com,250,72\n" + // 2
	"CRM-2,not-an-email,Beta,beta.io,5,10\n" + // 3
	"CRM-3,cy@example.com,Gamma,gamma.io,10,40\n" + // 4
	"CRM-4,dee@example.com,Delta,delta.io,-7,10\n" + // 5
	"CRM-5,eve@example.com,Epsilon,eps.io,3,99\n" + // 6
	"CRM-3,fay@example.com,Zeta,zeta.io,1,1\n" // 7: repeats line 4

func TestImport(t *testing.T) {
	h := newHarness(t)
	csvPath := filepath.Join(h.dir, "leads.csv")
	write(t, csvPath, importFile)
	mapping := []string{"--map", "externalId=Lead Number,email=E-Mail", "--map", "company=Company Name"}
	args := func(extra ...string) []string {
		a := append([]string{"import"}, mapping...)
		a = append(a, extra...)
		return append(a, h.connArgs...)
	}

	// Bad rows: each reported with its line, nothing imported.
	code, stdout, stderr := leadctl(t, nil, args(csvPath)...)
	if code != exitError {
		t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, exitError, stdout, stderr)
	}
	for _, want := range []string{
		`leads.csv: line 3: column "E-Mail" (email) is not a valid email address`,
		`leads.csv: line 5: column "Employees" (employees) must not be negative`,
		`leads.csv: line 7: column "Lead Number" (externalId) repeats the external id of line 4`,
		"nothing imported: 3 of 6 rows have problems",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "not-an-email") {
		t.Error("the report quotes a bad value")
	}
	if n := h.count(t); n != 0 {
		t.Fatalf("%d leads stored after a refused import", n)
	}

	// Dry run: reports, stores nothing.
	code, stdout, stderr = leadctl(t, nil, args("--dry-run", "--skip-invalid", csvPath)...)
	if code != exitOK || !strings.Contains(stdout, "dry run: 3 leads would be imported, skipping 3 bad rows; nothing was stored") {
		t.Fatalf("dry run: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if n := h.count(t); n != 0 {
		t.Fatalf("%d leads stored by a dry run", n)
	}

	// --skip-invalid: the good rows land (flags after the file work too).
	code, stdout, stderr = leadctl(t, nil, append([]string{"import", csvPath, "--skip-invalid"}, append(mapping, h.connArgs...)...)...)
	if code != exitOK || !strings.Contains(stdout, "imported 3 leads, skipping 3 bad rows") {
		t.Fatalf("skip-invalid: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if n := h.count(t); n != 3 {
		t.Fatalf("%d leads stored, want 3", n)
	}
	l, err := h.st.GetLeadByExternalID(context.Background(), "CRM-1")
	if err != nil || l.Email != "ann@example.com" || l.Company != "Acme" || l.Employees != 250 || l.Score != 72 {
		t.Fatalf("imported lead: %v %+v", err, l)
	}

	// Importing the clean file again is idempotent.
	clean := filepath.Join(h.dir, "clean.csv")
	write(t, clean, "externalId,email,company\nCRM-1,ann@example.com,Acme\n")
	if code, _, stderr := leadctl(t, nil, append([]string{"import", clean}, h.connArgs...)...); code != exitOK {
		t.Fatalf("clean import: %d %s", code, stderr)
	}
	if n := h.count(t); n != 3 {
		t.Fatalf("%d leads after re-import, want 3", n)
	}
}

func TestGetAndActivities(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	l, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: "CRM-9", Email: "ann@example.com", Name: "Ann Example",
		Company: "Acme", Domain: "acme.com", Employees: 250, Source: "webinar", Campaign: "spring", Score: 72}, "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	if l, err = h.st.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	due := now.Add(-2 * time.Hour)
	l.Stage, l.Owner, l.Team, l.RoutedAt, l.FirstTouchDue = lead.StageRouted, "alice", "emea", &now, &due
	if _, err = h.st.Update(ctx, l, store.AuditEvent{LeadID: l.ID, At: now, Actor: "router", Type: "routed",
		Data: map[string]any{"owner": "alice", "team": "emea"}}); err != nil {
		t.Fatal(err)
	}
	c := h.connArgs

	code, stdout, stderr := leadctl(t, nil, append([]string{"get", "--external", "CRM-9"}, c...)...)
	if code != exitOK {
		t.Fatalf("get: %d %s", code, stderr)
	}
	for _, want := range []string{
		"Acme (CRM-9)",
		"Status:          handed to sales, waiting for the first contact",
		"Contact:         Ann Example <ann@example.com>",
		"Company:         Acme, acme.com, 250 employees",
		"Came from:       webinar, campaign spring",
		"Owner:           alice (team emea)",
		"First contact:   due ", ", overdue by 2.0 hours",
		"History",
		"hubspot created the lead",
		"marketing qualified the lead",
		"handed to alice in team emea",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("get output lacks %q:\n%s", want, stdout)
		}
	}

	steps := []struct {
		args        []string
		code        int
		out, errOut string
	}{
		{[]string{"accept", l.ID}, exitError, "", `cannot accept a lead in stage "routed"; allowed from "routed": touch → touched`},
		{[]string{"reject", l.ID}, exitUsage, "", "--reason is required"},
		{[]string{"touch", "--external", "CRM-9"}, exitOK, "Acme (CRM-9): contacted by sales, waiting to be accepted or rejected", ""},
		{[]string{"accept", l.ID}, exitOK, "accepted by sales", ""},
		{[]string{"win", l.ID}, exitUsage, "", "--amount must be greater than zero"},
		{[]string{"win", l.ID, "--amount", "30000"}, exitOK, "Acme (CRM-9): won for 30,000", ""},
		{[]string{"lose", l.ID}, exitError, "", `"won" is final`},
		{[]string{"touch", "no-such-id"}, exitError, "", `no lead with id "no-such-id"`},
		{[]string{"touch"}, exitUsage, "", "expected exactly one lead ID"},
	}
	for _, s := range steps {
		code, stdout, stderr := leadctl(t, nil, append(s.args, c...)...)
		if code != s.code || !strings.Contains(stdout, s.out) || !strings.Contains(stderr, s.errOut) {
			t.Errorf("leadctl %s: exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)",
				strings.Join(s.args, " "), code, s.code, stdout, s.out, stderr, s.errOut)
		}
	}
	code, stdout, _ = leadctl(t, nil, append([]string{"get", l.ID}, c...)...)
	for _, want := range []string{"Status:          won for 30,000", "ops-team made contact", "ops-team accepted the lead", "ops-team won the deal for 30,000"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("history lacks %q:\n%s", want, stdout)
		}
	}

	// A rejection with its reason, with the token from the environment.
	r, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: "CRM-10", Company: "Beta"}, "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = h.st.Apply(ctx, r.ID, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"}); err != nil {
		t.Fatal(err)
	}
	r.Stage, r.Owner = lead.StageRouted, "alice"
	if _, err := h.st.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	envToken := map[string]string{"LEADCTL_TOKEN": apiToken, "LEADCTL_SERVER": c[1]}
	if code, _, stderr := leadctl(t, envToken, "touch", r.ID); code != exitOK {
		t.Fatalf("touch with env token: %d %s", code, stderr)
	}
	code, stdout, stderr = leadctl(t, envToken, "reject", r.ID, "--reason", "no budget this year")
	if code != exitOK || !strings.Contains(stdout, "rejected by sales and returned to marketing (reason: no budget this year)") {
		t.Fatalf("reject: %d %q %q", code, stdout, stderr)
	}
}

func TestListAndUsage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, x := range []string{"A", "B", "C"} {
		if _, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: "L-" + x, Company: "Co " + x}, "seed"); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := leadctl(t, nil, append([]string{"list", "--stage", "new", "--limit", "2"}, h.connArgs...)...)
	if code != exitOK || !strings.Contains(stdout, "L-A") || !strings.Contains(stdout, "L-B") || strings.Contains(stdout, "L-C") || !strings.Contains(stdout, "2 leads") {
		t.Fatalf("list: %d\n%s\n%s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{nil, nil, exitUsage, "Usage: leadctl"},
		{nil, []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{nil, []string{"get", "X"}, exitUsage, "say where the leads are"},
		{nil, []string{"get", "X", "--server", "http://127.0.0.1:1"}, exitUsage, "the API needs a token"},
		{nil, []string{"get", "X", "--server", "http://127.0.0.1:1", "--store", "sqlite:///tmp/x.db"}, exitUsage, "not both"},
		{map[string]string{"LEADCTL_TOKEN": "wrong", "LEADCTL_SERVER": h.connArgs[1]}, []string{"get", "X"}, exitError, "leadctl sent the token from LEADCTL_TOKEN. The server accepts the tokens in its --api-token-file"},
	} {
		code, _, stderr := leadctl(t, tc.env, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("leadctl %v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, stderr, tc.want)
		}
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// The tests in this file are the first hour of a new user (issue 10): the server's token file given
// to leadctl, bare team names, finding breached leads, help output, and how a disqualification reads.

func TestTokenFiles(t *testing.T) {
	h := newHarness(t)
	server := h.connArgs[1]
	for _, tc := range []struct {
		name, file string
		code       int
		stderr     []string
	}{
		{"the server's token file", "# API tokens\n\nops:" + apiToken + "\nhubspot:other-token\n", exitOK,
			[]string{`leadctl: using token "ops" from `}},
		{"a bare token", apiToken + "\n", exitOK, nil},
		{"a line with scopes", "ops:" + apiToken + " scopes=leads:read,activities:any member=ops\n", exitOK, []string{`using token "ops"`}},
		{"a named line with spaces", "  ops : " + apiToken + "  \n", exitOK, []string{`using token "ops"`}},
		{"an empty name", ":" + apiToken + "\n", exitUsage, []string{"line 1 of the token file", "is neither TOKEN nor NAME:TOKEN"}},
		{"only comments", "# nothing here\n", exitUsage, []string{"holds no token"}},
		{"a token the server does not know", "ops:not-the-token\n", exitError, []string{
			"a valid bearer token is required",
			"one of the tokens in the server's --api-token-file",
			`leadctl sent the token from `, `(token "ops"). The server accepts the tokens in its --api-token-file`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "tokens")
			write(t, file, tc.file)
			code, stdout, stderr := leadctl(t, nil, "list", "--server", server, "--token-file", file)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tc.stderr == nil && stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			if strings.Contains(stderr, apiToken) || strings.Contains(stderr, "not-the-token") {
				t.Error("stderr shows the secret")
			}
		})
	}
}

func TestHelpOnStdout(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		out, stErr string // substrings; "" means that stream must be empty
	}{
		{[]string{"--help"}, exitOK, "Usage: leadctl [connection flags] COMMAND", ""},
		{[]string{"-h"}, exitOK, "Commands:", ""},
		{[]string{"help"}, exitOK, "Commands:", ""},
		{[]string{"list", "--help"}, exitOK, "Usage: leadctl list [flags]", ""},
		{[]string{"list", "-h"}, exitOK, "NAMESPACE/NAME", ""},
		{[]string{"help", "list"}, exitOK, "-breached", ""},
		{[]string{"import", "-h"}, exitOK, "Imports every row, or none", ""},
		{[]string{"reject", "--help"}, exitOK, "-reason", ""},
		{[]string{"serve", "-help"}, exitOK, "-addr", ""},
		{[]string{"--server", "http://x", "get", "-h"}, exitOK, "-external", ""},
		// Usage errors stay on stderr with exit 2.
		{nil, exitUsage, "", "Usage: leadctl"},
		{[]string{"--bogus"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"list", "--bogus"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"list", "--stage", "open"}, exitUsage, "", `"open" is not a stage`},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := leadctl(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, s := range []struct{ name, got, want string }{{"stdout", stdout, tc.out}, {"stderr", stderr, tc.stErr}} {
				if s.want == "" && s.got != "" || !strings.Contains(s.got, s.want) {
					t.Errorf("%s = %q, want %s", s.name, s.got, map[bool]string{true: "nothing", false: "it to contain " + s.want}[s.want == ""])
				}
			}
		})
	}
}

func TestListByNameAndBreached(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	put := func(ext, team, policy string, stage lead.Stage, breaches int) {
		t.Helper()
		l, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Company: "Co " + ext}, "seed")
		if err != nil {
			t.Fatal(err)
		}
		if l, err = h.st.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		l.Stage, l.Owner, l.Team, l.Policy, l.RoutedAt, l.BreachCount = lead.StageRouted, "alice", team, policy, &now, breaches
		if l, err = h.st.Update(ctx, l, store.AuditEvent{Actor: "controller", Type: lead.EventRouted, At: now}); err != nil {
			t.Fatal(err)
		}
		for _, k := range map[lead.Stage][]store.ActivityKind{lead.StageWon: {store.ActivityTouch, store.ActivityAccept, store.ActivityWin}}[stage] {
			if _, err := h.st.Apply(ctx, l.ID, store.Activity{Kind: k, Actor: "alice", Amount: map[bool]float64{true: 10}[k == store.ActivityWin]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put("D-1", "default/sdr", "default/inbound", lead.StageRouted, 0)
	put("S-WON", "sales/sdr", "sales/inbound", lead.StageWon, 1) // breached, then closed: listed after the open ones
	put("S-1", "sales/sdr", "sales/inbound", lead.StageRouted, 2)
	put("S-2", "sales/ae", "sales/inbound", lead.StageRouted, 0)

	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(home, ".kube", "config")
	write(t, kubeconfig, `apiVersion: v1
kind: Config
current-context: sales-ctx
contexts:
- name: sales-ctx
  context: {cluster: c, namespace: sales}
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
`)
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		leads  []string // in order; nil with a usage error
		stderr string
	}{
		{"bare team, default namespace", nil, []string{"--team", "sdr"}, exitOK, []string{"D-1"}, ""},
		{"bare team with --namespace", nil, []string{"--team", "sdr", "--namespace", "sales"}, exitOK, []string{"S-WON", "S-1"}, ""},
		{"bare team, kubeconfig namespace", map[string]string{"KUBECONFIG": kubeconfig}, []string{"--team", "sdr"}, exitOK, []string{"S-WON", "S-1"}, ""},
		{"bare team, ~/.kube/config", map[string]string{"HOME": home}, []string{"--team", "sdr"}, exitOK, []string{"S-WON", "S-1"}, ""},
		{"no kubeconfig", map[string]string{"HOME": t.TempDir()}, []string{"--team", "sdr"}, exitOK, []string{"D-1"}, ""},
		{"an unknown team in the kubeconfig namespace", map[string]string{"HOME": home}, []string{"--team", "ae2"}, exitOK, []string{},
			`no leads for team "sales/ae2" (namespace from kubeconfig context "sales-ctx")`},
		{"qualified team ignores kubeconfig", map[string]string{"KUBECONFIG": kubeconfig}, []string{"--team", "default/sdr"}, exitOK, []string{"D-1"}, ""},
		{"bare policy", nil, []string{"--policy", "inbound", "--namespace", "sales"}, exitOK, []string{"S-WON", "S-1", "S-2"}, ""},
		{"breached, open first", nil, []string{"--policy", "sales/inbound", "--breached"}, exitOK, []string{"S-1", "S-WON"}, ""},
		{"breached and a stage", nil, []string{"--policy", "sales/inbound", "--breached", "--stage", "won"}, exitOK, []string{"S-WON"}, ""},
		{"an unknown team says why", nil, []string{"--team", "sdrs"}, exitOK, []string{}, `no leads for team "default/sdrs" (namespace from the default); teams and policies are NAMESPACE/NAME`},
		{"namespaces disagree", nil, []string{"--team", "sales/sdr", "--namespace", "default"}, exitUsage, nil, `--team names namespace "sales", but namespace "default" was given`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := leadctl(t, tc.env, append(append([]string{"list"}, tc.args...), h.connArgs...)...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.stderr)
			}
			if tc.leads == nil {
				return
			}
			var got []string
			for _, line := range strings.Split(stdout, "\n")[1:] {
				if f := strings.Fields(line); len(f) >= 6 { // not the "N leads" footer
					got = append(got, f[0])
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.leads, ",") {
				t.Fatalf("leads %v, want %v:\n%s", got, tc.leads, stdout)
			}
			if slicesContains(tc.args, "--breached") && !strings.Contains(stdout, "BREACHES") {
				t.Errorf("no BREACHES column:\n%s", stdout)
			}
		})
	}
	// The same filters straight on the store.
	dsn := "sqlite://" + filepath.Join(h.dir, "leads.db")
	code, stdout, stderr := leadctl(t, nil, "list", "--store", dsn, "--team", "sdr", "--namespace", "sales", "--breached")
	if code != exitOK || !strings.Contains(stdout, "S-1") || !strings.Contains(stdout, "2 leads") {
		t.Fatalf("--store: %d %s %s", code, stdout, stderr)
	}
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestDisqualifiedInWords(t *testing.T) {
	at := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	gate := store.AuditEvent{At: at, Actor: "controller", Type: lead.EventDisqualified, Reason: "score below 60",
		Data: map[string]any{"policy": "default/inbound", "generation": 3}}
	human := store.AuditEvent{At: at, Actor: "hubspot", Type: lead.EventDisqualified, Reason: "student"}
	l := &lead.Lead{ID: "L1", Stage: lead.StageDisqualified, Policy: "default/inbound"}
	for _, tc := range []struct {
		name   string
		reason string
		events []store.AuditEvent
		want   string
	}{
		{"by the gate", "score below 60", []store.AuditEvent{gate}, "disqualified by the qualification gate of policy default/inbound: score below 60"},
		{"by marketing", "student", []store.AuditEvent{human}, "disqualified by hubspot: student"},
		{"the latest one counts", "student", []store.AuditEvent{gate, human}, "disqualified by hubspot: student"},
		{"without the audit trail", "student", nil, "disqualified: student"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.Reason = tc.reason
			if got := stageSentence(l, tc.events); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
	if got := describe(gate); got != "the qualification gate of policy default/inbound disqualified the lead — score below 60" {
		t.Errorf("history line %q", got)
	}
}

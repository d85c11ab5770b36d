package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// validateAt is the instant the validate tests check availability and working-time gaps at.
const validateAt = "2027-02-01T09:00:00Z"

// leadctlIn runs one command in-process with stdin and the environment given.
func leadctlIn(t *testing.T, stdin string, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = run(ctx, args, e)
	return code, out.String(), errOut.String()
}

// firstLines keeps the first line of each diagnostic (a CEL error goes on with the expression and a
// caret), without the file name.
func firstLines(t *testing.T, file, stdout string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(l, file+":"); ok {
			out = append(out, rest)
		} else if l != "" && !strings.HasPrefix(l, " | ") {
			t.Errorf("unexpected output line %q", l)
		}
	}
	return out
}

// badCases are the files of testdata/validate/bad, each validated on its own, with every diagnostic
// it must produce, in order: line:col, severity and message (the first line of a multi-line one).
var badCases = []struct {
	file string
	want []string
}{
	{"cel_goal_forms.yaml", []string{
		"5:1: error: spec: Invalid value: TimeToFirstTouch takes a target.duration (or growthPercent); every other metric takes a target.value (or growthPercent)",
		"8:3: error: spec.period: Invalid value: set exactly one of period.quarter, period.month or period.range",
	}},
	{"cel_team_times.yaml", []string{
		"8:7: error: spec.workingHours[0]: Invalid value: working hours must start before they end",
		"12:7: error: spec.members[0]: Invalid value: an out-of-office period must start before it ends",
	}},
	{"cel_warn_before.yaml", []string{
		"8:5: error: spec.sla.firstTouch: Invalid value: warnBefore must be shorter than within: the warning has to come before the deadline",
		"11:5: error: spec.sla.breachConditionWindow: Invalid value: \"169h\": breachConditionWindow must be at most 168h",
	}},
	{"duplicate_object.yaml", []string{
		"9:12: error: LeadPolicy default/same is defined twice; the other one starts at line 1",
	}},
	{"expr_block_scalar.yaml", []string{
		"8:11: error: spec.selector: ERROR: <input>:2:7: undefined field 'emplyees'",
	}},
	{"expr_cost.yaml", []string{
		"9:7: error: spec.rules[0].when: the expression may cost an unbounded amount per lead, over the limit of 100000: simplify it (nested comprehensions, or comprehensions over lists of unknown size such as lists.range(), cost the product of their sizes)",
	}},
	{"expr_not_bool.yaml", []string{
		"7:5: error: spec.qualification.expression: expression must evaluate to a bool, not int",
	}},
	{"expr_undefined_field.yaml", []string{
		"7:42: error: spec.selector: ERROR: <input>:1:29: undefined field 'scor'",
		"10:28: error: spec.rules[0].when: ERROR: <input>:1:16: found no matching overload for '_>=_' applied to '(int, string)'",
	}},
	{"goal_filter_period.yaml", []string{
		"10:35: error: spec.filter: ERROR: <input>:1:25: found no matching overload for 'startsWith' applied to 'string.(int)'",
		"12:5: error: spec.period.quarter: \"0000-Q1\": year must be 0001 to 9999",
	}},
	{"ref_missing_team.yaml", []string{
		"10:7: error: spec.rules[0].teamRef: Team \"sdr\" does not exist in namespace \"sales\"; create it or fix the reference (not in the files validated; --cluster also looks in the cluster)",
		"17:3: error: spec.teamRef: Team \"marketing\" does not exist in namespace \"default\"; create it or fix the reference (not in the files validated; --cluster also looks in the cluster)",
	}},
	{"schema_duplicate_member.yaml", []string{
		"10:7: error: spec.members[1]: Duplicate value: {\"name\":\"sdr-01\"}",
		"11:7: error: spec.members[1].capacity: Invalid value: 0: spec.members[1].capacity in body should be greater than or equal to 1",
	}},
	{"schema_duration_pattern.yaml", []string{
		"8:5: error: spec.sla.firstTouch: Invalid value: \"object\": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: within must be longer than zero",
		"9:7: error: spec.sla.firstTouch.within: Invalid value: \"one hour\": spec.sla.firstTouch.within in body should match '^([0-9]+(\\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+$'",
	}},
	{"schema_enum.yaml", []string{
		"1:1: error: <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
		"9:7: error: spec.rules[0].strategy: Unsupported value: \"Random\": supported values: \"RoundRobin\", \"Weighted\", \"LeastLoaded\", \"AccountOwner\"",
	}},
	{"schema_formats.yaml", []string{
		"2:1: error: <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
		"5:3: error: metadata.name: Invalid value: \"Inside_Sales\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
		"9:7: error: spec.holidays[0].date: Invalid value: \"2027-02-30\": spec.holidays[0].date in body must be of type date: \"2027-02-30\"",
		"14:11: error: spec.members[0].outOfOffice[0].start: Invalid value: \"next monday\": spec.members[0].outOfOffice[0].start in body must be of type date-time: \"next monday\"",
	}},
	{"schema_type.yaml", []string{
		"2:1: error: <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
		"7:3: error: spec.priority: Invalid value: \"string\": spec.priority in body must be of type integer: \"string\"",
	}},
	{"schema_unknown_field.yaml", []string{
		"2:1: error: <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
		"8:7: error: spec.rules[0].teamRef: Required value",
		"9:7: error: unknown field \"spec.rules[0].team\"",
	}},
	{"syntax.yaml", []string{
		"9:3: error: mapping key \"function\" already defined at line 8",
		"11:1: error: not a Kubernetes object: Object 'Kind' is missing in '{\"apiVersion\":\"leadops.io/v1alpha1\",\"metadata\":{\"name\":\"nokind\"}}'",
		"16:1: error: no matches for kind \"Lead\" in version \"leadops.io/v1alpha1\"",
		"23:1: error: yaml: line 23: did not find expected key",
	}},
	{"team_timezone.yaml", []string{
		"7:3: error: spec.timezone: unknown timezone \"Mars/Olympus_Mons\": use an IANA name such as Europe/Berlin",
	}},
	{"warn_overlap.yaml", []string{
		"7:3: warning: spec.selector: policies \"default/germany\" and \"default/high-score\" both have priority 0 and both select, for example, a lead with country \"DE\", score 60; such a lead goes to \"default/germany\" (ties go to namespace/name order): give one of them a higher priority",
		"34:3: warning: spec.priority: policies \"default/partners-a\" and \"default/partners-b\" both have priority 5 and identical selectors; such a lead goes to \"default/partners-a\" (ties go to namespace/name order): give one of them a higher priority",
	}},
	{"warn_sla_gap.yaml", []string{
		"9:18: warning: spec.sla.firstTouch.within: 4h on the wall clock is shorter than the 64h during which team \"sdr\" does not work (Fri 2027-02-05 17:00 to Mon 2027-02-08 09:00 Europe/Berlin): a lead routed as the team stops work breaches before anyone is back; use clock: BusinessHours, or allow at least 64h",
	}},
	{"warn_team_unavailable.yaml", []string{
		"8:3: warning: spec.members: no member of team \"ghost\" can take a lead from 2027-02-01T09:00:00Z to 2027-03-01T09:00:00Z (1 member is available: false, 1 member is out of office throughout): leads routed to it wait in its queue",
		"22:1: warning: spec.members: team \"empty\" has no members, so the leads a policy routes to it wait in its queue",
		"30:48: warning: spec.rules[1]: rule \"ghosts\" is unreachable: rule \"all\" before it (spec.rules[0]) matches every lead and keeps it (a RoundRobin rule does not pass a lead on)",
	}},
	{"warn_unreachable.yaml", []string{
		"13:7: warning: spec.rules[2]: rule \"big-again\" is unreachable: rule \"big\" before it (spec.rules[1]) has the same condition and keeps every lead it matches",
		"19:7: warning: spec.rules[4]: rule \"never\" is unreachable: rule \"everyone\" before it (spec.rules[3]) matches every lead and keeps it (a LeastLoaded rule does not pass a lead on)",
	}},
}

// TestValidateBadFiles validates each bad file alone and compares every diagnostic, position and
// message, and the exit status: 1 with an error; with warnings only, 0, and 1 under --strict.
func TestValidateBadFiles(t *testing.T) {
	dir := filepath.Join("testdata", "validate", "bad")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	errorCases := 0
	for _, tc := range badCases {
		listed[tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			code, stdout, stderr := leadctlIn(t, "", nil, "validate", "--at", validateAt, path)
			got := firstLines(t, path, stdout)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("diagnostics:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			hasError := false
			for _, w := range tc.want {
				hasError = hasError || strings.Contains(w, ": error: ")
			}
			wantCode := exitOK
			if hasError {
				wantCode = exitError
				errorCases++
			}
			if code != wantCode {
				t.Errorf("exit status %d, want %d; stderr: %s", code, wantCode, stderr)
			}
			if code, _, _ := leadctlIn(t, "", nil, "validate", "--strict", "--at", validateAt, path); code != exitError {
				t.Errorf("with --strict: exit status %d, want 1", code)
			}
		})
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no case in badCases", f)
		}
	}
	if len(badCases) < 15 || errorCases < 15 {
		t.Errorf("%d bad files, %d with errors: the issue asks for at least 15 bad cases", len(badCases), errorCases)
	}
}

// TestValidateGoodTree validates a directory recursively (nested directories, multi-document YAML,
// JSON, a kustomization file and an object of another API group skipped): clean, even with --strict.
func TestValidateGoodTree(t *testing.T) {
	code, stdout, stderr := leadctlIn(t, "", nil, "validate", "--strict", "--at", validateAt, filepath.Join("testdata", "validate", "good"))
	if code != exitOK || stdout != "" {
		t.Fatalf("exit status %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if want := "8 objects in 5 files: 0 errors, 0 warnings (1 object of other API groups skipped)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// TestValidateStdin reads kustomize-style output (documents joined by ---) from standard input with -f -,
// and reports positions in the stream.
func TestValidateStdin(t *testing.T) {
	var stream []string
	for _, f := range []string{"good/teams/sdr.yaml", "good/teams/sales.yaml", "good/policies/inbound.yaml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "validate", f))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, strings.TrimSuffix(string(raw), "\n"))
	}
	good := strings.Join(stream, "\n---\n") + "\n"
	if code, stdout, stderr := leadctlIn(t, good, nil, "validate", "--at", validateAt, "-f", "-"); code != exitOK || stdout != "" ||
		!strings.HasPrefix(stderr, "5 objects in 1 file: 0 errors") {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	bad := good + "---\napiVersion: leadops.io/v1alpha1\nkind: LeadPolicy\nmetadata:\n  name: x\nspec:\n  rules: [{name: all, teamRef: {name: sdr}, strategy: Random}]\n"
	lines := strings.Count(good, "\n")
	code, stdout, _ := leadctlIn(t, bad, nil, "validate", "--at", validateAt, "-")
	want := "<stdin>:" + strconv.Itoa(lines+7) + ":45: error: spec.rules[0].strategy: Unsupported value: \"Random\""
	if code != exitError || !strings.Contains(stdout, want) {
		t.Fatalf("exit status %d, stdout:\n%s\nwant a line starting %q", code, stdout, want)
	}
}

// TestValidateJSON checks -o json: the counts and each diagnostic's fields, for bots.
func TestValidateJSON(t *testing.T) {
	path := filepath.Join("testdata", "validate", "bad", "expr_undefined_field.yaml")
	code, stdout, stderr := leadctlIn(t, "", nil, "validate", "-o", "json", "--at", validateAt, path)
	if code != exitError || stderr != "" {
		t.Fatalf("exit status %d, stderr %q", code, stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, stdout)
	}
	if rep.Files != 1 || rep.Objects != 2 || rep.Errors != 2 || rep.Warnings != 0 || len(rep.Diagnostics) != 2 {
		t.Fatalf("report %+v", rep)
	}
	d := rep.Diagnostics[0]
	want := diagnostic{File: path, Line: 7, Column: 42, Severity: "error", Field: "spec.selector", Kind: "LeadPolicy", Namespace: "default",
		Name: "misspelt", Check: checkController, Reason: "InvalidExpression"}
	msg := d.Message
	d.Message = ""
	if d != want || !strings.HasPrefix(msg, "spec.selector: ERROR: <input>:1:29: undefined field 'scor'") {
		t.Errorf("diagnostic %+v (message %q), want %+v", d, msg, want)
	}
	// A clean run prints an empty list, not null.
	_, stdout, _ = leadctlIn(t, "", nil, "validate", "-o", "json", "--at", validateAt, filepath.Join("testdata", "validate", "good"))
	if !strings.Contains(stdout, `"diagnostics": []`) {
		t.Errorf("clean run: %s", stdout)
	}
}

// TestValidateExitCodes covers the usage errors (2), help (0, on stdout) and the command list.
func TestValidateExitCodes(t *testing.T) {
	good := filepath.Join("testdata", "validate", "good")
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout (help) or stderr (usage errors)
	}{
		{"no path", []string{"validate"}, exitUsage, "give at least one file or directory"},
		{"missing path", []string{"validate", "testdata/validate/nope"}, exitUsage, `the path "testdata/validate/nope" does not exist`},
		{"bad output", []string{"validate", "-o", "xml", good}, exitUsage, `-o: "xml" is not an output format`},
		{"bad flag", []string{"validate", "--nope", good}, exitUsage, "flag provided but not defined: -nope"},
		{"bad --at", []string{"validate", "--at", "monday", good}, exitUsage, "--at"},
		{"help", []string{"validate", "--help"}, exitOK, "Usage: leadctl validate [flags] PATH…"},
		{"help lists the checks", []string{"help", "validate"}, exitOK, "two policies of equal priority whose selectors overlap"},
		{"leadctl --help lists validate", []string{"--help"}, exitOK, "validate   PATH…"},
		{"clean", []string{"validate", "--at", validateAt, good}, exitOK, ""},
		{"flags after paths", []string{"validate", good, "--strict", "--at", validateAt}, exitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := leadctlIn(t, "", nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			where := stderr
			if code == exitOK {
				where = stdout
			}
			if !strings.Contains(where, tc.out) {
				t.Errorf("output lacks %q:\nstdout:\n%s\nstderr:\n%s", tc.out, stdout, stderr)
			}
		})
	}
}

// TestValidateSamples validates config/samples: no errors; the one warning is the
// wall-clock acceptance SLA of the inbound policy (24h, while sales is off from Friday 18:00 to Monday
// 09:00).
func TestValidateSamples(t *testing.T) {
	samples := filepath.Join("..", "..", "config", "samples")
	code, stdout, stderr := leadctlIn(t, "", nil, "validate", "--at", validateAt, samples)
	if code != exitOK {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	got := firstLines(t, filepath.Join(samples, "leadops_v1alpha1_leadpolicy.yaml"), stdout)
	sort.Strings(got)
	want := []string{`39:7: warning: spec.sla.acceptance.within: 24h on the wall clock is shorter than the 63h during which team "sales" does not work (Fri 2027-02-05 18:00 to Mon 2027-02-08 09:00 America/New_York): a lead routed as the team stops work breaches before anyone is back; use clock: BusinessHours, or allow at least 63h`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !strings.HasPrefix(stderr, "9 objects in 9 files: 0 errors, 1 warning") {
		t.Errorf("stderr %q", stderr)
	}
}

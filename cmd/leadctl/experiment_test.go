package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

// experimentYAML is a policy-arm experiment like the sample's: two weeks from 1 March 2027.
const experimentYAML = `apiVersion: leadops.io/v1alpha1
kind: LeadExperiment
metadata:
  name: spring-threshold
  namespace: sales
spec:
  arms:
    - name: sdr-first
      policyRef:
        name: spring-sdr-first
    - name: ae-direct
      policyRef:
        name: spring-ae-direct
  assignment:
    strategy: Alternate
    period: 168h
    timezone: America/New_York
  metric: AcceptanceRate
  secondaryMetrics: [RevenuePerLead, TimeToFirstTouch]
  minLeadsPerArm: 100
  start: "2027-03-01T00:00:00-05:00"
  duration: 336h
---
apiVersion: leadops.io/v1alpha1
kind: LeadExperiment
metadata:
  name: spring-campaigns
  namespace: sales
spec:
  arms:
    - name: concept-a
      filter: lead.campaign == 'spring-a'
    - name: concept-b
      filter: lead.campaign == 'spring-b'
  metric: ConversionRate
  minLeadsPerArm: 20
  start: "2026-01-01T00:00:00Z"
  end: "2026-02-01T00:00:00Z"
`

var expBase = time.Date(2027, 3, 2, 15, 0, 0, 0, time.UTC)

// seedArm stores n leads routed in the experiment's arm: accepted of them accepted (after a touch
// touchAfter past routing), won of those won for amount each.
func seedArm(t *testing.T, st store.Backend, experiment, arm string, n, accepted, won int, amount float64, touchAfter time.Duration) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("%s-%s-%d", experiment, arm, i), Company: "Co", Score: 80, Campaign: "spring-threshold"}, "test")
		if err != nil {
			t.Fatal(err)
		}
		next := *l
		at := expBase.Add(time.Duration(i) * time.Minute)
		next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, "rep-1", "sales/sales", "sales/p", "r"
		next.QualifiedAt, next.RoutedAt = &at, &at
		next.Experiment, next.Arm = experiment, arm
		d := store.Decision{Lead: &next, Via: []lead.Stage{lead.StageQualified},
			Events: []store.AuditEvent{{Actor: "controller", Type: lead.EventRouted, Reason: "test"}}}
		if _, _, err := st.CommitDecisions(ctx, []store.Decision{d}); err != nil {
			t.Fatal(err)
		}
		if i >= accepted {
			continue
		}
		steps := []store.Activity{{Kind: lead.ActivityTouch, At: at.Add(touchAfter)}, {Kind: lead.ActivityAccept, At: at.Add(touchAfter + time.Hour)}}
		if i < won {
			steps = append(steps, store.Activity{Kind: lead.ActivityWin, Amount: amount, At: at.Add(48 * time.Hour)})
		}
		for _, a := range steps {
			a.Actor = "rep-1"
			if _, err := st.Apply(ctx, l.ID, a); err != nil {
				t.Fatalf("%s: %v", a.Kind, err)
			}
		}
	}
}

func TestExperimentReport(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.Join(dir, "experiments.yaml")
	write(t, yamlPath, experimentYAML)
	dbPath := filepath.Join(dir, "leads.db")
	st := openSQLite(t, dbPath, store.Options{})
	// Sales' concept is accepted clearly more often: 60 of 120 against 30 of 120.
	seedArm(t, st, "sales/spring-threshold", "sdr-first", 120, 30, 10, 5000, 40*time.Minute)
	seedArm(t, st, "sales/spring-threshold", "ae-direct", 120, 60, 15, 5000, 15*time.Minute)
	seedArm(t, st, "sales/other", "sdr-first", 5, 5, 0, 0, time.Minute) // another experiment: not counted
	st.Close()
	storeArgs := []string{"-f", yamlPath, "--store", "sqlite://" + dbPath}

	t.Run("ended: a winner", func(t *testing.T) {
		code, stdout, stderr := leadctl(t, nil, append([]string{"experiment", "report", "spring-threshold", "--as-of", "2027-03-16T00:00:00Z"}, storeArgs...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{
			"Experiment sales/spring-threshold (policy arms): AcceptanceRate at 95% confidence, minimum 100 per arm",
			"Window from 2027-03-01T05:00:00Z to 2027-03-15T05:00:00Z; ended as of 2027-03-16T00:00:00Z",
			"Verdict: Winner (ae-direct)",
			"ae-direct wins on acceptance rate at 95% confidence: 50.0%",
			"Secondary metric RevenuePerLead (figures only, no verdict)",
			"Secondary metric TimeToFirstTouch",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("the report lacks %q:\n%s", want, stdout)
			}
		}
		// The arm rows: leads, measured, events, value, interval (Wilson, R prop.test(30, 120,
		// correct=FALSE)$conf.int = 0.1811..0.3344, and for 60 of 120 0.4119..0.5881), verdict.
		if !regexpMatch(stdout, `sdr-first\s+120\s+120\s+30\s+25\.0%\s+18\.1%\.\.33\.4%\s+-\s+-\s+control`) {
			t.Errorf("the control's row is wrong:\n%s", stdout)
		}
		if !regexpMatch(stdout, `ae-direct\s+120\s+120\s+60\s+50\.0%\s+41\.2%\.\.58\.8%\s+\+100\.0%\s+\S+\s+winner`) {
			t.Errorf("ae-direct's row is wrong:\n%s", stdout)
		}
	})

	t.Run("running: no winner before the end", func(t *testing.T) {
		code, stdout, stderr := leadctl(t, nil, append([]string{"experiment", "report", "sales/spring-threshold", "--as-of", "2027-03-10T00:00:00Z", "-o", "json"}, storeArgs...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep ExperimentReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if rep.Verdict != "Running" || rep.Winner != "" || rep.Phase != "Running" {
			t.Errorf("verdict %s winner %q phase %s, want Running without a winner", rep.Verdict, rep.Winner, rep.Phase)
		}
		if !strings.Contains(rep.Message, "No winner is declared before every arm has 100 routed leads and the experiment has ended") {
			t.Errorf("message: %s", rep.Message)
		}
		if len(rep.Arms) != 2 || rep.Arms[1].Lift != "+100.0%" || rep.Arms[1].Standing != "better" || rep.Arms[0].Leads != 120 {
			t.Errorf("arms: %+v", rep.Arms)
		}
		// Revenue per routed lead: 10 × 5000 / 120 and 15 × 5000 / 120.
		if len(rep.Secondary) != 2 || rep.Secondary[0].Arms[0].Value != "416.67" || rep.Secondary[0].Arms[1].Value != "625.00" {
			t.Errorf("secondary: %+v", rep.Secondary)
		}
		// Time to first touch of the touched leads: 40m and 15m.
		if rep.Secondary[1].Arms[0].Value != "40m" || rep.Secondary[1].Arms[1].Value != "15m" || rep.Secondary[1].Arms[0].Measured != 30 {
			t.Errorf("time to first touch: %+v", rep.Secondary[1].Arms)
		}
	})

	t.Run("chart", func(t *testing.T) {
		chart := filepath.Join(dir, "arms.png")
		code, _, stderr := leadctl(t, nil, append([]string{"experiment", "report", "spring-threshold", "--chart", chart}, storeArgs...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		f, err := os.Open(chart)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 500 {
			t.Errorf("chart is %v", b)
		}
		svg := filepath.Join(dir, "arms.svg")
		if code, _, stderr := leadctl(t, nil, append([]string{"experiment", "report", "spring-threshold", "--chart", svg}, storeArgs...)...); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		raw, err := os.ReadFile(svg)
		if err != nil {
			t.Fatal(err)
		}
		checkSVG(t, raw, "sdr-first", "ae-direct", "AcceptanceRate per arm", "RevenuePerLead (secondary)")
	})

	t.Run("observational arms over the HTTP API", func(t *testing.T) {
		h := newHarness(t)
		ctx := context.Background()
		for i := 0; i < 50; i++ {
			for _, c := range []string{"spring-a", "spring-b", "other"} {
				if _, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("%s-%d", c, i), Company: "Co", Campaign: c}, "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Leads are created now; an experiment window around now takes them in.
		now := time.Now().UTC()
		obs := strings.Replace(experimentYAML[strings.Index(experimentYAML, "---\n")+4:], `start: "2026-01-01T00:00:00Z"`, `start: "`+now.Add(-time.Hour).Format(time.RFC3339)+`"`, 1)
		obs = strings.Replace(obs, `end: "2026-02-01T00:00:00Z"`, `end: "`+now.Add(time.Hour).Format(time.RFC3339)+`"`, 1)
		obsPath := filepath.Join(h.dir, "obs.yaml")
		write(t, obsPath, obs)
		code, stdout, stderr := leadctl(t, nil, append([]string{"experiment", "report", "spring-campaigns", "-f", obsPath, "-o", "json"}, h.connArgs...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep ExperimentReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		// 50 leads each, none routed yet: the conversion rate measures nothing.
		if !rep.Observational || rep.Arms[0].Leads != 50 || rep.Arms[1].Leads != 50 || rep.Arms[0].Measured != 0 || rep.Verdict != "InsufficientData" {
			t.Errorf("observational report: %+v", rep)
		}
	})

	t.Run("scorecard section", func(t *testing.T) {
		code, stdout, stderr := leadctl(t, nil, append([]string{"scorecard", "--quarter", "2027-Q1", "--as-of", "2027-03-16T00:00:00Z"}, storeArgs...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		_, section, found := strings.Cut(stdout, "\nExperiments\n")
		if !found {
			t.Fatalf("no Experiments section:\n%s", stdout)
		}
		// The March experiment ran in 2027-Q1; the January 2026 one did not.
		if !regexpMatch(section, `sales/spring-threshold\s+AcceptanceRate\s+sdr-first=120 ae-direct=120\s+25\.0% / 50\.0%\s+\+100\.0%\s+Ended\s+Winner \(ae-direct\)`) ||
			strings.Contains(section, "spring-campaigns") || !strings.Contains(section, "ae-direct wins on acceptance rate") {
			t.Errorf("experiments section:\n%s", section)
		}
		code, stdout, _ = leadctl(t, nil, append([]string{"scorecard", "--quarter", "2026-Q4", "--as-of", "2027-03-16T00:00:00Z", "-o", "json"}, storeArgs...)...)
		if code != exitOK || strings.Contains(stdout, `"experiments"`) {
			t.Errorf("2026-Q4 (exit %d) lists experiments that did not run in it:\n%s", code, stdout)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			msg  string
		}{
			{[]string{"experiment", "spring-threshold"}, "leadctl experiment report NAME"},
			{[]string{"experiment", "report"}, "one experiment NAME"},
			{[]string{"experiment", "report", "nope", "-f", yamlPath}, `no LeadExperiment "nope"`},
			{[]string{"experiment", "report", "spring-threshold"}, "-f FILE|DIR or --cluster"},
			{[]string{"experiment", "report", "spring-threshold", "-f", yamlPath, "-o", "csv"}, `-o "csv"`},
		} {
			code, _, stderr := leadctl(t, nil, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.msg) {
				t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.msg)
			}
		}
	})
}

func regexpMatch(s, expr string) bool { return regexp.MustCompile(expr).MatchString(s) }

// TestExperimentReportBackends: the same leads give the same report, to the byte, from SQLite and
// from PostgreSQL (the store's ExperimentLeads on each).
func TestExperimentReportBackends(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.Join(dir, "experiments.yaml")
	write(t, yamlPath, experimentYAML)
	var outputs []string
	for _, b := range storeBackends() {
		dsn := b.dsn(t)
		st, err := storeopen.Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seedArm(t, st, "sales/spring-threshold", "sdr-first", 110, 33, 12, 4000, 50*time.Minute)
		seedArm(t, st, "sales/spring-threshold", "ae-direct", 105, 42, 9, 7000, 20*time.Minute)
		st.Close()
		code, stdout, stderr := leadctl(t, nil, "experiment", "report", "spring-threshold", "-f", yamlPath, "--store", dsn, "--as-of", "2027-03-16T00:00:00Z", "-o", "json")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", b.name, code, stderr)
		}
		// 33/110 against 42/105: R prop.test(c(33, 42), c(110, 105), correct=FALSE)$p.value = 0.1241.
		if !strings.Contains(stdout, `"verdict": "NoSignificantDifference"`) || !strings.Contains(stdout, `"pValue": "0.12"`) {
			t.Errorf("%s: report:\n%s", b.name, stdout)
		}
		outputs = append(outputs, stdout)
	}
	if outputs[0] != outputs[1] {
		t.Errorf("SQLite and PostgreSQL disagree:\n%s\n---\n%s", outputs[0], outputs[1])
	}
}

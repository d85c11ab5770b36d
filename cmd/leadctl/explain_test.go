package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/store"
)

// explainPolicies is the YAML the explain tests route with and pass to `explain -f`: a VIP policy
// whose selector fails on leads without the attribute (an expression error), the inbound policy
// with a gate, a rule for large companies to a team of one and the rest to two SDRs, and a
// one-hour wall-clock first-touch SLA with one reassignment, then the manager.
const explainPolicies = `apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata:
  name: vip
spec:
  selector: lead.attributes.tier == 'gold'
  priority: 20
  rules:
    - name: all
      teamRef:
        name: enterprise
---
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata:
  name: inbound
spec:
  selector: lead.source != 'partner'
  priority: 10
  qualification:
    expression: lead.score >= 60
    reason: score below 60
  rules:
    - name: large
      when: lead.employees >= 1000
      teamRef:
        name: enterprise
      strategy: RoundRobin
    - name: rest
      teamRef:
        name: sdr
      strategy: LeastLoaded
  sla:
    firstTouch:
      within: 1h
      clock: WallClock
    onBreach:
      reassign: true
      maxReassignments: 1
      escalateToManager: true
`

const explainTeams = `apiVersion: leadops.io/v1alpha1
kind: Team
metadata:
  name: sdr
spec:
  function: SDR
  timezone: UTC
  manager: sdr-lead
  workingHours:
    - days: [Monday, Tuesday, Wednesday, Thursday, Friday]
      start: "08:00"
      end: "18:00"
  members:
    - name: sdr-01
      capacity: 5
    - name: sdr-02
      capacity: 5
---
apiVersion: leadops.io/v1alpha1
kind: Team
metadata:
  name: enterprise
spec:
  function: Sales
  timezone: UTC
  manager: ae-lead
  workingHours:
    - days: [Monday, Tuesday, Wednesday, Thursday, Friday]
      start: "08:00"
      end: "18:00"
  members:
    - name: ae-01
      capacity: 1
`

// explainStart is Monday 2027-02-01 09:00 UTC, when the story begins.
var explainStart = time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)

// fakeClock is the store's clock in the tests that seed a history.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// explainFixture routes a small history through the real router on the harness's store: lead A
// routed, breached, reassigned, breached again and escalated, then touched and accepted by the
// manager; B refused by the gate; C selected by no policy; F filling the one-member team and G
// waiting for it.
type explainFixture struct {
	h       *harness
	dir     string
	ids     map[string]string
	dsnArgs []string
}

func newExplainFixture(t *testing.T) *explainFixture {
	t.Helper()
	clk := &fakeClock{t: explainStart}
	h := newHarnessWith(t, store.Options{Clock: clk.Now})
	dir := filepath.Join(h.dir, "policies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "policies.yaml"), explainPolicies)
	write(t, filepath.Join(dir, "teams.yaml"), explainTeams)
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources: [policies.yaml, teams.yaml]\n")
	objs, err := loadFiles([]string{dir}, "default")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ids := map[string]string{}
	upsert := func(ext string, in store.LeadInput) {
		in.ExternalID = ext
		l, _, err := h.st.UpsertLead(ctx, in, "hubspot")
		if err != nil {
			t.Fatal(err)
		}
		ids[ext] = l.ID
	}
	r := &router.Router{Store: h.st}
	pass := func(at time.Time) *router.Report {
		t.Helper()
		clk.Set(at)
		in, _, problems := objs.routerInput(at)
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		rep, err := r.Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	upsert("F", store.LeadInput{Company: "Fjord", Domain: "fjord.example", Source: "web", Score: 80, Employees: 5000})
	pass(explainStart)
	clk.Set(explainStart.Add(time.Minute))
	upsert("A", store.LeadInput{Company: "Acme", Domain: "acme.example", Source: "web", Campaign: "spring", Score: 72, Employees: 50, Email: "ann@acme.example", Name: "Ann Example"})
	upsert("B", store.LeadInput{Company: "Beta", Domain: "beta.example", Source: "web", Score: 30, Employees: 10})
	upsert("C", store.LeadInput{Company: "Cobalt", Domain: "cobalt.example", Source: "partner", Score: 90, Employees: 10})
	upsert("G", store.LeadInput{Company: "Gamma", Domain: "gamma.example", Source: "web", Score: 90, Employees: 2000})
	pass(explainStart.Add(2 * time.Minute))
	// ae-01 touches F in time: F stays open (the team stays full) and never breaches.
	clk.Set(explainStart.Add(30 * time.Minute))
	if _, err := h.st.Apply(ctx, ids["F"], store.Activity{Kind: store.ActivityTouch, Actor: "ae-01", At: explainStart.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// A's first touch was due at 10:02; the pass at 10:03 records the breach and reassigns.
	if rep := pass(explainStart.Add(63 * time.Minute)); len(rep.Breaches) != 1 || rep.Breaches[0].Action != router.ActionReassigned {
		t.Fatalf("first breach: %+v", rep.Breaches)
	}
	// The fresh SLA runs to 11:03; at 11:05 the reassignments are used up: the manager gets it.
	if rep := pass(explainStart.Add(125 * time.Minute)); len(rep.Breaches) != 1 || rep.Breaches[0].Action != router.ActionEscalated {
		t.Fatalf("second breach: %+v", rep.Breaches)
	}
	for _, a := range []store.Activity{
		{Kind: store.ActivityTouch, Actor: "sdr-lead", At: explainStart.Add(130 * time.Minute)},
		{Kind: store.ActivityAccept, Actor: "sdr-lead", At: explainStart.Add(150 * time.Minute)},
	} {
		clk.Set(a.At)
		if _, err := h.st.Apply(ctx, ids["A"], a); err != nil {
			t.Fatal(err)
		}
	}
	return &explainFixture{h: h, dir: dir, ids: ids, dsnArgs: []string{"--store", "sqlite://" + filepath.Join(h.dir, "leads.db")}}
}

// words collapses the output's wrapping, so the test reads sentences.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

func (f *explainFixture) explain(t *testing.T, conn []string, args ...string) string {
	t.Helper()
	code, stdout, stderr := leadctl(t, nil, append(append([]string{"explain", "--tz", "UTC"}, args...), conn...)...)
	if code != exitOK {
		t.Fatalf("explain %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
	}
	if strings.Contains(stdout, "ann@acme.example") || strings.Contains(stdout, "Ann Example") {
		t.Errorf("explain shows personal data:\n%s", stdout)
	}
	return stdout
}

func wantAll(t *testing.T, out string, wants ...string) {
	t.Helper()
	flat := words(out)
	for _, w := range wants {
		if !strings.Contains(flat, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestExplainRoutedBreachedReassignedEscalated tells the story of a lead that was routed, missed its
// first touch, was reassigned, missed it again and went to the manager, who touched and accepted it:
// straight from the store and through the HTTP API, in the same words.
func TestExplainRoutedBreachedReassignedEscalated(t *testing.T) {
	f := newExplainFixture(t)
	wants := []string{
		"Acme (A)",
		"Now accepted by sales; owner sdr-lead (team default/sdr); governed by policy default/inbound, rule \"rest\".",
		"It came in with source web, campaign spring, score 72, 50 employees.",
		"Mon 1 Feb 2027 09:01 UTC hubspot created the lead.",
		"Mon 1 Feb 2027 09:02 UTC Policy default/inbound (generation 1) selected the lead and its qualification gate passed it: the lead is an MQL.",
		"Mon 1 Feb 2027 09:02 UTC Routed by rule \"rest\" of policy default/inbound (generation 1) to team default/sdr, by least loaded. " +
			"Candidates: sdr-01 (0 of 5 open); sdr-02 (0 of 5 open). sdr-01 got it: most room left (0 open of 5).",
		"Expression errors on the way (each moved the lead on to the next policy or rule): policy default/vip spec.selector:",
		"Mon 1 Feb 2027 10:03 UTC sdr-01 missed the first-touch deadline of Mon 1 Feb 2027 10:02 UTC: the breach was recorded 1 min after it.",
		"Mon 1 Feb 2027 10:03 UTC Reassigned from sdr-01 to sdr-02 after the SLA breach (reassignment 1), by least loaded, previous owners excluded. " +
			"Candidates: sdr-01 (1 of 5 open, passed over: previous owner); sdr-02 (0 of 5 open). sdr-02 got it: most room left (0 open of 5). A fresh SLA started.",
		"Mon 1 Feb 2027 11:05 UTC sdr-02 missed the first-touch deadline of Mon 1 Feb 2027 11:03 UTC: the breach was recorded 2 min after it.",
		"Mon 1 Feb 2027 11:05 UTC Escalated from sdr-02 to sdr-lead, the manager of team default/sdr, after the SLA breach: " +
			"the manager inherits the overdue handoff as it is (no fresh SLA).",
		"Mon 1 Feb 2027 11:10 UTC sdr-lead made contact, the first touch, 1 h 7 min after the lead was handed to sdr-02 (when the SLA clock started).",
		"Mon 1 Feb 2027 11:30 UTC sdr-lead accepted the lead, 1 h 27 min after it was handed off.",
		"SLA clock Handed off Mon 1 Feb 2027 10:03 UTC (the current handoff; sdr-lead).",
		"First touch: Mon 1 Feb 2027 11:10 UTC, 1 h 7 min after the handoff (7 min late: due Mon 1 Feb 2027 11:03 UTC).",
		"Accepted: Mon 1 Feb 2027 11:30 UTC.",
		"2 SLA breaches recorded, the last at Mon 1 Feb 2027 11:05 UTC; reassigned 1 time; previous owners sdr-01, sdr-02.",
	}
	out := f.explain(t, f.dsnArgs, f.ids["A"])
	wantAll(t, out, wants...)
	if strings.Contains(out, "Why it is not routed") {
		t.Errorf("a routed lead is explained as not routed:\n%s", out)
	}
	viaAPI := f.explain(t, f.h.connArgs, "--external", "A")
	if viaAPI != out {
		t.Errorf("the HTTP API tells it differently:\n--- store\n%s\n--- api\n%s", out, viaAPI)
	}
}

// TestExplainUnrouted says why three leads have no owner: no policy selects one, the gate refused
// one, and one waits for a full team; from the audit log alone, then deciding them again with the
// policies.
func TestExplainUnrouted(t *testing.T) {
	f := newExplainFixture(t)
	for _, tc := range []struct {
		name, ext           string
		audit, withPolicies []string
	}{
		{"no policy selects it", "C",
			[]string{"It is new: no LeadPolicy selected it when the controller last looked at it",
				"Give the policies (-f DIR of YAML, or --cluster) to decide it again"},
			[]string{
				"1. Policy default/vip (priority 20, generation 1): selector `lead.attributes.tier == 'gold'` could not be evaluated on this lead (no such key: tier): the next policy is tried.",
				"2. Policy default/inbound (priority 10, generation 1): selector `lead.source != 'partner'` is false for this lead.",
				"No policy selects the lead: it stays new. Outcome: no LeadPolicy selects this lead.",
			}},
		{"the gate refused it", "B",
			[]string{"Now disqualified by the qualification gate of policy default/inbound: score below 60.",
				"Policy default/inbound (generation 1) selected the lead, but its qualification gate refused it: score below 60. It went back to marketing.",
				"Policy default/inbound (generation 1)'s qualification gate refused it on Mon 1 Feb 2027 09:02 UTC: score below 60."},
			[]string{
				"2. Policy default/inbound (priority 10, generation 1): selector `lead.source != 'partner'` is true: it governs the lead.",
				"Qualification gate `lead.score >= 60` is false: the gate refuses the lead (score below 60). Outcome: disqualified: score below 60.",
			}},
		{"its team is full", "G",
			[]string{"Now qualified by marketing, waiting to be handed to sales; governed by policy default/inbound, rule \"large\".",
				"It waits since Mon 1 Feb 2027 09:02 UTC: rule \"large\" matched but every available member of team \"enterprise\" is at capacity; the lead waits (policy default/inbound (generation 1))."},
			[]string{
				"Qualification gate `lead.score >= 60` is true: the lead qualifies.",
				"Rule \"large\" (when `lead.employees >= 1000`) matches, but team default/enterprise is full: every available member is at capacity. " +
					"Candidates: ae-01 (1 of 1 open, passed over: at capacity). The lead waits until one has room.",
				"Outcome: rule \"large\" matched but every available member of team \"enterprise\" is at capacity; the lead waits.",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := f.explain(t, f.dsnArgs, "--external", tc.ext)
			wantAll(t, out, append([]string{"Why it is not routed"}, tc.audit...)...)
			withPolicies := f.explain(t, f.dsnArgs, "--external", tc.ext, "-f", f.dir)
			for _, w := range tc.audit {
				if !strings.HasPrefix(w, "Give the policies") {
					wantAll(t, withPolicies, w)
				}
			}
			wantAll(t, withPolicies, tc.withPolicies...)
			wantAll(t, withPolicies, "Decided again now (", "with the policies and teams from "+f.dir+", on the open load in the store (nothing is written):")
			// Over the API the load is counted from the open leads: the same answer, with a note.
			viaAPI := f.explain(t, f.h.connArgs, "--external", tc.ext, "-f", f.dir)
			wantAll(t, viaAPI, tc.withPolicies...)
			wantAll(t, viaAPI, "over the HTTP API the rule turns and account owners are not known")
		})
	}
	if got, err := f.h.st.GetLeadByExternalID(context.Background(), "G"); err != nil || got.Stage != lead.StageQualified || got.Owner != "" {
		t.Fatalf("explain changed the waiting lead: %+v %v", got, err)
	}
}

// TestExplainExperimentArm: a lead the router decided under a running LeadExperiment is explained
// with its experiment and arm, in the summary and in the audit entries of the decision, from the
// store and through the HTTP API alike.
func TestExplainExperimentArm(t *testing.T) {
	clk := &fakeClock{t: explainStart}
	h := newHarnessWith(t, store.Options{Clock: clk.Now})
	dir := filepath.Join(h.dir, "policies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "policies.yaml"), explainPolicies)
	write(t, filepath.Join(dir, "teams.yaml"), explainTeams)
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources: [policies.yaml, teams.yaml]\n")
	objs, err := loadFiles([]string{dir}, "default")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: "X", Company: "Xylo", Domain: "xylo.example", Source: "web", Score: 70, Employees: 20}, "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	at := explainStart.Add(time.Minute)
	clk.Set(at)
	in, _, problems := objs.routerInput(at)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var inbound *router.Policy
	for _, p := range in.Policies {
		if p.Key() == "default/inbound" {
			inbound = p
		}
	}
	// Arm "b" alone has weight: the lead is assigned to it.
	in.Experiments = []*router.Experiment{{Namespace: "default", Name: "threshold", Strategy: router.Split,
		Start: explainStart, End: explainStart.Add(14 * 24 * time.Hour),
		Arms: []router.ExperimentArm{{Name: "control", Policy: inbound, Weight: 0}, {Name: "b", Policy: inbound, Weight: 1}}}}
	if _, err := (&router.Router{Store: h.st}).Run(ctx, in); err != nil {
		t.Fatal(err)
	}
	f := &explainFixture{h: h, dir: dir, dsnArgs: []string{"--store", "sqlite://" + filepath.Join(h.dir, "leads.db")}}
	out := f.explain(t, f.dsnArgs, l.ID)
	wantAll(t, out,
		`It is in arm "b" of experiment default/threshold, assigned when the router first decided it and kept since`,
		`the lead is an MQL. Experiment default/threshold, arm "b".`,
		`sdr-01 got it: most room left (0 open of 5). Experiment default/threshold, arm "b".`,
	)
	if viaAPI := f.explain(t, h.connArgs, "--external", "X"); viaAPI != out {
		t.Errorf("the HTTP API tells it differently:\n--- store\n%s\n--- api\n%s", out, viaAPI)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

// The teams: sdr and sales exist today; the proposal adds emea and moves the German leads to it.
const previewTeams = `apiVersion: leadops.io/v1alpha1
kind: Team
metadata:
  name: sdr
spec:
  function: SDR
  workingHours:
    - days: [Monday, Tuesday, Wednesday, Thursday, Friday]
      start: "09:00"
      end: "17:00"
  members:
    - name: sdr-1
      capacity: 10
    - name: sdr-2
      capacity: 10
---
apiVersion: leadops.io/v1alpha1
kind: Team
metadata:
  name: sales
spec:
  function: Sales
  workingHours:
    - days: [Monday, Tuesday, Wednesday, Thursday, Friday]
      start: "09:00"
      end: "17:00"
  members:
    - name: ae-1
      capacity: 10
    - name: ae-2
      capacity: 10
`

const previewEMEA = `# The new team: two reps with little room; emea-2 still holds two SDR leads from before.
apiVersion: leadops.io/v1alpha1
kind: Team
metadata:
  name: emea
spec:
  function: SDR
  timezone: UTC
  workingHours:
    - days: [Monday, Tuesday, Wednesday, Thursday, Friday]
      start: "09:00"
      end: "17:00"
  members:
    - name: emea-1
      capacity: 2
    - name: emea-2
      capacity: 1
`

// previewPolicy is the proposed inbound policy: the same as today's (large companies to sales, the
// rest to the SDRs, in turn) plus a first rule for German leads, and a 30-minute first-touch SLA
// where today's is an hour.
const previewPolicy = `apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata:
  name: inbound
  namespace: default
spec:
  selector: lead.source != 'partner'
  priority: 10
  qualification:
    expression: lead.score >= 50
    reason: score below 50
  rules:
    - name: emea
      when: lead.country == 'DE'
      teamRef:
        name: emea
    - name: large
      when: lead.employees >= 1000
      teamRef:
        name: sales
      strategy: RoundRobin
    - name: rest
      teamRef:
        name: sdr
  sla:
    firstTouch:
      within: 30m
---
apiVersion: leadops.io/v1alpha1
kind: TeamGoal
metadata:
  name: ignored
spec: {}
`

var (
	previewFrom = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC) // a Monday
	previewTo   = time.Date(2027, 3, 8, 0, 0, 0, 0, time.UTC)
)

// previewSeed is one lead of the seeded history, as today's policy handled it.
type previewSeed struct {
	ext                string
	created            time.Time
	country, source    string
	employees, score   int64
	owner, team, rule  string        // routed by today's policy ("" for not routed)
	disqualified       bool          // failed the gate
	touch, accept      time.Duration // after creation (0: not)
	breached           bool
	expectedProposalAt string // documentation only
}

func at(h, m int) time.Time { return time.Date(2027, 3, 1, h, m, 0, 0, time.UTC) }

// previewHistory is what happened. Before the window: an open SDR lead of sdr-1 (rule rest, so the
// rule's turn is after sdr-1), an accepted lead of ae-1 (rule large: after ae-1), and two open leads
// of emea-2 under a retired rule. In the window, today's round robins alternate as shown.
var previewHistory = []previewSeed{
	{ext: "P1", created: time.Date(2027, 2, 26, 10, 0, 0, 0, time.UTC), country: "US", employees: 50, score: 70, owner: "sdr-1", team: "sdr", rule: "rest"},
	{ext: "P2", created: time.Date(2027, 2, 26, 11, 0, 0, 0, time.UTC), country: "US", employees: 5000, score: 70, owner: "ae-1", team: "sales", rule: "large", touch: 10 * time.Minute, accept: time.Hour},
	{ext: "P3", created: time.Date(2027, 2, 26, 9, 0, 0, 0, time.UTC), country: "DE", employees: 50, score: 70, owner: "emea-2", team: "sdr", rule: "legacy"},
	{ext: "P4", created: time.Date(2027, 2, 26, 9, 30, 0, 0, time.UTC), country: "DE", employees: 50, score: 70, owner: "emea-2", team: "sdr", rule: "legacy", touch: time.Minute},

	{ext: "L1", created: at(10, 0), country: "US", employees: 50, score: 70, owner: "sdr-2", team: "sdr", rule: "rest", touch: 20 * time.Minute},
	{ext: "L2", created: at(10, 10), country: "DE", employees: 50, score: 80, owner: "sdr-1", team: "sdr", rule: "rest", touch: 40 * time.Minute, accept: 50 * time.Minute},
	{ext: "L3", created: at(10, 20), country: "DE", employees: 60, score: 90, owner: "sdr-2", team: "sdr", rule: "rest", touch: 5 * time.Minute},
	{ext: "L4", created: at(10, 30), country: "DE", employees: 70, score: 65, owner: "sdr-1", team: "sdr", rule: "rest"},
	{ext: "L5", created: at(10, 40), country: "US", employees: 5000, score: 75, owner: "ae-2", team: "sales", rule: "large", touch: 50 * time.Minute},
	{ext: "L6", created: at(10, 50), country: "US", source: "partner", employees: 50, score: 90},
	{ext: "L7", created: at(11, 10), country: "US", employees: 50, score: 20, disqualified: true},
	{ext: "L8", created: at(11, 20), country: "DE", employees: 40, score: 55, owner: "sdr-2", team: "sdr", rule: "rest", touch: 5 * time.Minute},
	{ext: "L9", created: at(11, 30), country: "FR", employees: 100, score: 70, owner: "sdr-1", team: "sdr", rule: "rest", touch: 2 * time.Hour, breached: true},
	// After the window: not replayed.
	{ext: "A1", created: time.Date(2027, 3, 9, 10, 0, 0, 0, time.UTC), country: "DE", employees: 50, score: 70},
}

// seedPreview writes the history through the store's own writes, with the store's clock at each
// event's time.
func seedPreview(t testing.TB, dsn string) map[string]string {
	t.Helper()
	ctx := context.Background()
	var now time.Time
	st, err := storeopen.Open(ctx, dsn, store.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := map[string]string{}
	for _, s := range previewHistory {
		now = s.created
		src := firstNonEmpty(s.source, "web")
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: s.ext, Email: strings.ToLower(s.ext) + "@example.com",
			Company: "Co " + s.ext, Domain: strings.ToLower(s.ext) + ".example", Country: s.country, Employees: s.employees,
			Source: src, Score: s.score}, "seed")
		if err != nil {
			t.Fatal(err)
		}
		ids[s.ext] = l.ID
		switch {
		case s.disqualified:
			if _, err := st.Apply(ctx, l.ID, store.Activity{Kind: lead.ActivityDisqualify, Reason: "score below 50", Actor: "controller", At: s.created}); err != nil {
				t.Fatal(err)
			}
		case s.owner != "":
			next := *l
			c := s.created
			due := c.Add(time.Hour)
			next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, s.owner, "default/"+s.team, "default/inbound", s.rule
			next.QualifiedAt, next.RoutedAt, next.FirstTouchDue = &c, &c, &due
			if _, conflicts, err := st.CommitDecisions(ctx, []store.Decision{{Lead: &next, Via: []lead.Stage{lead.StageQualified},
				Events: []store.AuditEvent{{Actor: "controller", At: c, Type: lead.EventRouted, Data: map[string]any{"owner": s.owner}}}}}); err != nil || len(conflicts) > 0 {
				t.Fatalf("route %s: %v %v", s.ext, conflicts, err)
			}
		}
		if s.touch > 0 {
			now = s.created.Add(s.touch)
			if l, err = st.Apply(ctx, l.ID, store.Activity{Kind: lead.ActivityTouch, Actor: s.owner, At: now}); err != nil {
				t.Fatal(err)
			}
			if s.breached {
				b := s.created.Add(time.Hour)
				l.BreachCount, l.LastBreachAt, l.FirstTouchBreachedAt = 1, &b, &b
				if _, err := st.Update(ctx, l, store.AuditEvent{Actor: "controller", At: b, Type: lead.EventBreached}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if s.accept > 0 {
			now = s.created.Add(s.accept)
			if _, err := st.Apply(ctx, l.ID, store.Activity{Kind: lead.ActivityAccept, Actor: s.owner, At: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

// storeDump is every lead (versions included) and its audit log, serialized: byte-for-byte
// comparable.
func storeDump(t testing.TB, dsn string) []byte {
	t.Helper()
	ctx := context.Background()
	st, err := storeopen.Open(ctx, dsn, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var all []any
	cursor := ""
	for {
		page, err := st.ListLeads(ctx, store.ListFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Leads {
			events, err := st.Audit(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, l, events)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// previewDir writes the proposal as a directory of YAML files.
func previewDir(t *testing.T) string {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "teams.yaml"), previewTeams)
	if err := os.MkdirAll(filepath.Join(dir, "emea"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "emea", "team.yml"), previewEMEA)
	write(t, filepath.Join(dir, "policy.yaml"), previewPolicy)
	write(t, filepath.Join(dir, "README.md"), "not YAML: skipped")
	return dir
}

// TestPreviewWindow replays the week of 2027-03-01 through a proposal that moves the German leads
// to a new team, on both backends, and checks the figures against the hand-computed ones below.
//
// By hand, in arrival order (rule turns: rest after sdr-1, large after ae-1, emea new; open load at
// the start: sdr-1 1, emea-2 2, which is over the 1 the proposal gives her):
//
//	L1 US 50       rest  → sdr-2 (after sdr-1)        touched after 20m: met (30m)
//	L2 DE          emea  → emea-1 (emea-2 is full)    touched after 40m: missed; accepted 11:00
//	L3 DE          emea  → emea-1 (the only one with room; 2 of 2)   touched after 5m: met
//	L4 DE          emea  → queued (both full); at 11:00 L2's acceptance frees emea-1: routed to her
//	L5 US 5000     large → ae-2 (after ae-1)          touched after 50m: missed
//	L6 partner     unmatched
//	L7 score 20    disqualified
//	L8 DE          emea  → queued, still waiting at the end (emea-1 full again)
//	L9 FR          rest  → sdr-1 (after sdr-2)        touched after 2h: missed
func TestPreviewWindow(t *testing.T) {
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			seedPreview(t, dsn)
			dir := previewDir(t)
			before := storeDump(t, dsn)
			var sqliteFile []byte
			if b.name == "sqlite" {
				sqliteFile = readFile(t, strings.TrimPrefix(dsn, "sqlite://"))
			}
			args := []string{"preview", "-f", dir, "--store", dsn, "--from", "2027-03-01", "--to", "2027-03-07"}

			code, stdout, stderr := leadctl(t, nil, append(args, "-o", "json", "--leads")...)
			if code != exitOK {
				t.Fatalf("preview: %d\n%s\n%s", code, stdout, stderr)
			}
			var rep previewReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			if rep.Window == nil || !rep.Window.From.Equal(previewFrom) || !rep.Window.To.Equal(previewTo) {
				t.Errorf("window %+v", rep.Window)
			}
			wantCounters := map[string]int{"leads": 9, "routed": 6, "queued": 2, "waiting": 1, "disqualified": 1, "norule": 0,
				"unmatched": 1, "moved": 4, "changed": 4, "full": 2, "overcapacity": 1, "slamet": 2, "slamissed": 3,
				"slanotouch": 1, "errors": 0}
			if !reflect.DeepEqual(rep.Counters, wantCounters) {
				t.Errorf("counters\n got %v\nwant %v", rep.Counters, wantCounters)
			}
			wantActual := map[string]int{"leads": 9, "routed": 7, "queued": 0, "disqualified": 1, "norule": 0, "unmatched": 1,
				"slamet": 5, "slabreached": 1}
			if !reflect.DeepEqual(rep.Actual, wantActual) {
				t.Errorf("actual\n got %v\nwant %v", rep.Actual, wantActual)
			}
			wantTeams := []previewTeamRow{
				{Team: "default/emea", Actual: 0, Proposed: 3, Queued: 2, Waiting: 1},
				{Team: "default/sales", Actual: 1, Proposed: 1},
				{Team: "default/sdr", Actual: 6, Proposed: 2},
			}
			if !reflect.DeepEqual(rep.Teams, wantTeams) {
				t.Errorf("teams\n got %+v\nwant %+v", rep.Teams, wantTeams)
			}
			type m struct {
				team                       string
				actual, proposed, capacity int
				startLoad, peakLoad        int
				full, over                 bool
			}
			wantMembers := map[string]m{
				"emea-1": {"default/emea", 0, 3, 2, 0, 2, true, false},
				"emea-2": {"default/emea", 0, 0, 1, 2, 2, true, true},
				"ae-1":   {"default/sales", 0, 0, 10, 0, 0, false, false},
				"ae-2":   {"default/sales", 1, 1, 10, 0, 1, false, false},
				"sdr-1":  {"default/sdr", 3, 1, 10, 1, 2, false, false},
				"sdr-2":  {"default/sdr", 3, 1, 10, 0, 1, false, false},
			}
			got := map[string]m{}
			var order []string
			for _, r := range rep.Members {
				order = append(order, r.Member)
				c := -1
				if r.Capacity != nil {
					c = *r.Capacity
				}
				got[r.Member] = m{strings.Join(r.Teams, ","), r.Actual, r.Proposed, c, r.StartLoad, r.PeakLoad, r.Full, r.OverCapacity}
			}
			if !reflect.DeepEqual(got, wantMembers) {
				t.Errorf("members\n got %+v\nwant %+v", got, wantMembers)
			}
			if want := []string{"emea-1", "emea-2", "ae-1", "ae-2", "sdr-1", "sdr-2"}; !reflect.DeepEqual(order, want) {
				t.Errorf("member order %v", order)
			}
			wantRules := []previewRuleRow{
				{Policy: "default/inbound", Rule: "emea", Actual: 0, Proposed: 4},
				{Policy: "default/inbound", Rule: "large", Actual: 1, Proposed: 1},
				{Policy: "default/inbound", Rule: "rest", Actual: 6, Proposed: 2},
			}
			if !reflect.DeepEqual(rep.Rules, wantRules) {
				t.Errorf("rules\n got %+v\nwant %+v", rep.Rules, wantRules)
			}
			if c := rep.SLA.Compliance; c == nil || *c != 40 {
				t.Errorf("proposed compliance %v, want 40%%", c)
			}
			if wantLoad := map[string]int{"sdr-1": 1, "emea-2": 2}; !reflect.DeepEqual(rep.Start.Load, wantLoad) {
				t.Errorf("start load %v", rep.Start.Load)
			}
			turns := map[string]string{}
			for _, tr := range rep.Start.Turns {
				turns[tr.Rule] = tr.Last
			}
			if want := map[string]string{"emea": "", "large": "ae-1", "rest": "sdr-1"}; !reflect.DeepEqual(turns, want) {
				t.Errorf("starting turns %v", turns)
			}
			byExt := map[string]*previewLead{}
			for _, l := range rep.Leads {
				byExt[l.ExternalID] = l
			}
			for ext, want := range map[string]string{"L1": "routed sdr-2 met", "L2": "routed emea-1 missed", "L3": "routed emea-1 met",
				"L4": "routed emea-1 notouch", "L5": "routed ae-2 missed", "L6": "unmatched  ", "L7": "disqualified  ",
				"L8": "queued  ", "L9": "routed sdr-1 missed"} {
				l := byExt[ext]
				if l == nil {
					t.Errorf("%s not replayed", ext)
					continue
				}
				if got := l.Proposed.Outcome + " " + l.Proposed.Owner + " " + l.Proposed.SLA; got != want {
					t.Errorf("%s: %q, want %q (%s)", ext, got, want, l.Reason)
				}
			}
			if l := byExt["L4"]; !l.Queued || l.RoutedAt == nil || !l.RoutedAt.Equal(at(11, 0)) {
				t.Errorf("L4 queued %v, routed at %v; want queued, then routed at 11:00", l.Queued, l.RoutedAt)
			}
			if l := byExt["L4"]; l.FirstTouchDue == nil || !l.FirstTouchDue.Equal(at(11, 30)) {
				t.Errorf("L4 first touch due %v, want 11:30 (30 business minutes from 11:00)", l.FirstTouchDue)
			}
			if len(rep.Leads) != 9 || byExt["A1"] != nil || byExt["P1"] != nil {
				t.Errorf("replayed %d leads", len(rep.Leads))
			}

			// The table says the same in words.
			code, stdout, stderr = leadctl(t, nil, args...)
			if code != exitOK {
				t.Fatalf("table: %d %s", code, stderr)
			}
			for _, want := range []string{"Preview of 1 LeadPolicy over 9 leads created in [2027-03-01T00:00:00Z, 2027-03-08T00:00:00Z)",
				"open load emea-2 2, sdr-1 1; turns: default/inbound rule large after ae-1, default/inbound rule rest after sdr-1.",
				"OVER CAPACITY", "2 met, 3 missed, 1 without a touch (compliance 40.0%)", "5 touched without a breach, 1 breached"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("table lacks %q:\n%s", want, stdout)
				}
			}
			for _, row := range [][]string{{"default/emea", "0", "3", "2", "1"}, {"default/sdr", "6", "2", "0", "0"},
				{"emea-2", "default/emea", "0", "0", "1", "2", "2", "OVER", "CAPACITY"}, {"unmatched", "1", "1"}} {
				if !hasRow(stdout, row) {
					t.Errorf("table lacks the row %v:\n%s", row, stdout)
				}
			}

			// CSV: the summary, one schema.
			code, stdout, _ = leadctl(t, nil, append(args, "-o", "csv")...)
			recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
			if code != exitOK || err != nil {
				t.Fatalf("csv: %d %v\n%s", code, err, stdout)
			}
			if !hasRecord(recs, []string{"team", "default/emea", "", "default/emea", "0", "3", "2", "", "", ""}) ||
				!hasRecord(recs, []string{"member", "emea-1", "", "default/emea", "0", "3", "", "2", "0", "2"}) ||
				!hasRecord(recs, []string{"counter", "unmatched", "", "", "1", "1", "", "", "", ""}) {
				t.Errorf("csv:\n%s", stdout)
			}
			code, stdout, _ = leadctl(t, nil, append(args, "-o", "csv", "--leads")...)
			if recs, err = csv.NewReader(strings.NewReader(stdout)).ReadAll(); code != exitOK || err != nil || len(recs) != 10 || recs[0][0] != "id" {
				t.Errorf("csv --leads: %d %v %d records", code, err, len(recs))
			}

			// --fail-on: conditions over the counters, absolute or percent of the window.
			for _, tc := range []struct {
				cond   string
				code   int
				stderr string
			}{
				{"unmatched>0", exitError, "--fail-on unmatched>0 holds: unmatched = 1"},
				{"queued>20%", exitError, "--fail-on queued>20% holds: queued = 2 of 9 leads (22.2%)"},
				{"queued>25%", exitOK, ""},
				{"unmatched>1, waiting>=2,overcapacity<1", exitOK, ""},
				{"overcapacity>0,slamissed>=3", exitError, "--fail-on slamissed>=3 holds: slamissed = 3"},
				{"queued>five", exitUsage, "is not NAME OP NUMBER"},
				{"stale>1", exitUsage, `unknown counter "stale"`},
			} {
				code, stdout, stderr := leadctl(t, nil, append(args, "--fail-on", tc.cond)...)
				if code != tc.code || (tc.stderr != "" && !strings.Contains(stderr, tc.stderr)) || (tc.stderr == "" && stderr != "") {
					t.Errorf("--fail-on %s: exit %d, stderr %q; want %d, %q", tc.cond, code, stderr, tc.code, tc.stderr)
				}
				if tc.code == exitError && !strings.Contains(stdout, "Preview of") {
					t.Errorf("--fail-on %s: the report is missing", tc.cond)
				}
			}

			// Nothing was written: leads (versions) and audit logs byte for byte, and for SQLite the
			// database file itself.
			if after := storeDump(t, dsn); !bytes.Equal(before, after) {
				t.Fatalf("the store changed during the previews")
			}
			if sqliteFile != nil && !bytes.Equal(sqliteFile, readFile(t, strings.TrimPrefix(dsn, "sqlite://"))) {
				t.Fatal("the SQLite file changed during the previews")
			}
			// And nothing could have been: a write through the handle preview opens fails.
			st, err := openPreviewStore(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: "sneaky", Email: "x@example.com"}, "t"); err == nil {
				t.Fatal("a write through the preview's store handle succeeded")
			}
			l1, err := st.GetLeadByExternalID(context.Background(), "L1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Apply(context.Background(), l1.ID, store.Activity{Kind: lead.ActivityAccept, Actor: "t"}); err == nil {
				t.Fatal("an activity through the preview's store handle succeeded")
			}
		})
	}
}

// TestPreviewOneLead replays one stored lead (--lead, --external) and one that does not exist
// (--input), on both backends.
func TestPreviewOneLead(t *testing.T) {
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			ids := seedPreview(t, dsn)
			dir := previewDir(t)
			before := storeDump(t, dsn)

			// L3 arrived when emea-1 had no lead yet in this replay (the window is the lead alone):
			// the emea rule's first turn goes to emea-1; emea-2 is over her capacity of 1.
			code, stdout, stderr := leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--lead", ids["L3"])
			if code != exitOK {
				t.Fatalf("--lead: %d %s", code, stderr)
			}
			for _, want := range []string{"Lead L3 (in the store), arriving 2027-03-01T10:20:00Z",
				"open load emea-2 2, sdr-1 2, sdr-2 1", // P1 and L2 (accepted only at 11:00), L1
				"emea-1", "default/emea", "first touch", "met (touched after 5m0s)",
				`Why: rule "emea" sent it to team "emea"; round robin chose emea-1: next in turn.`,
				"emea-2 2/1 open (at capacity)"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("--lead output lacks %q:\n%s", want, stdout)
				}
			}
			if !hasRow(stdout, []string{"team", "default/sdr", "default/emea"}) || !hasRow(stdout, []string{"owner", "sdr-2", "emea-1"}) {
				t.Errorf("--lead: the side-by-side rows:\n%s", stdout)
			}
			code, stdout, _ = leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--lead", "L6", "--external", "-o", "json")
			var rep previewReport
			if err := json.Unmarshal([]byte(stdout), &rep); code != exitOK || err != nil || len(rep.Leads) != 1 ||
				rep.Leads[0].Proposed.Outcome != previewUnmatched || rep.Leads[0].Actual.Outcome != previewUnmatched {
				t.Errorf("--lead --external: %d %v %s", code, err, stdout)
			}
			if code, _, stderr = leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--lead", "nope", "--external"); code != exitError ||
				!strings.Contains(stderr, `no lead with external id "nope"`) {
				t.Errorf("--lead unknown: %d %s", code, stderr)
			}

			// A lead that does not exist: a large German company on Tuesday at 9:00. German goes first.
			in := filepath.Join(t.TempDir(), "lead.json")
			write(t, in, `{"externalId": "new-1", "email": "ana@acme.example", "domain": "acme.example", "country": "DE",
				"employees": 2000, "score": 90, "createdAt": "2027-03-02T09:00:00Z"}`)
			code, stdout, stderr = leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--input", in, "-o", "json", "--fail-on", "routed<1")
			if code != exitOK {
				t.Fatalf("--input: %d %s %s", code, stdout, stderr)
			}
			rep = previewReport{}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Leads) != 1 {
				t.Fatalf("--input: %v %s", err, stdout)
			}
			l := rep.Leads[0]
			// The load is the store's at that instant: emea-1 holds nothing, emea-2 is over capacity.
			if l.InStore || l.Proposed.Outcome != previewRouted || l.Proposed.Rule != "emea" || l.Proposed.Owner != "emea-1" ||
				l.FirstTouchDue == nil || !l.FirstTouchDue.Equal(time.Date(2027, 3, 2, 9, 30, 0, 0, time.UTC)) || l.Actual.Outcome != "" {
				t.Errorf("--input: %+v", l)
			}
			// --at places an input without createdAt; a bad file is a usage error.
			write(t, in, `{"externalId": "new-2", "country": "US", "employees": 10, "score": 10}`)
			code, stdout, _ = leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--input", in, "--at", "2027-03-02T12:00:00Z")
			if code != exitOK || !strings.Contains(stdout, "arriving 2027-03-02T12:00:00Z") || !strings.Contains(stdout, "score below 50") {
				t.Errorf("--input --at: %d\n%s", code, stdout)
			}
			write(t, in, `{"externalId": "new-3", "scroe": 10}`)
			if code, _, stderr = leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--input", in); code != exitUsage || !strings.Contains(stderr, "scroe") {
				t.Errorf("--input with an unknown field: %d %s", code, stderr)
			}
			if !bytes.Equal(before, storeDump(t, dsn)) {
				t.Fatal("the store changed during the previews")
			}
		})
	}
}

// TestPreviewUsage: flags and proposals that cannot be previewed.
func TestPreviewUsage(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "leads.db")
	seedPreview(t, dsn)
	dir := previewDir(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	write(t, bad, strings.Replace(previewPolicy, "lead.country == 'DE'", "lead.contry == 'DE'", 1))
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--since", "30d"}, exitUsage, "-f FILE|DIR|-"},
		{[]string{"-f", dir}, exitUsage, "replay one thing"},
		{[]string{"-f", dir, "--lead", "x", "--since", "1d"}, exitUsage, "replay one thing"},
		{[]string{"-f", dir, "--since", "soon"}, exitUsage, "--since"},
		{[]string{"-f", dir, "--from", "yesterday"}, exitUsage, "neither RFC 3339"},
		{[]string{"-f", dir, "--from", "2027-03-02", "--to", "2027-03-01"}, exitUsage, "is empty"},
		{[]string{"-f", dir, "--since", "1d", "-o", "yaml"}, exitUsage, "not table, json or csv"},
		{[]string{"-f", bad, "--since", "1d"}, exitError, "spec.rules[0].when"},
		{[]string{"-f", filepath.Join(dir, "teams.yaml"), "--since", "1d"}, exitError, "holds no LeadPolicy"},
		{[]string{"-f", dir, "-f", filepath.Join(dir, "policy.yaml"), "--since", "1d"}, exitError, "is also defined in"},
	} {
		args := append([]string{"preview"}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "--store") {
			args = append(args, "--store", dsn)
		}
		code, _, stderr := leadctl(t, nil, args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%v: %d %q, want %d %q", tc.args, code, stderr, tc.code, tc.stderr)
		}
	}
	// Without the emea Team the rule is skipped, with a warning, and German leads go on to the next rules.
	only := t.TempDir()
	write(t, filepath.Join(only, "all.yaml"), previewTeams+"---\n"+previewPolicy)
	code, stdout, stderr := leadctl(t, nil, "preview", "-f", only, "--store", dsn, "--from", "2027-03-01", "--to", "2027-03-07")
	if code != exitOK || !strings.Contains(stdout, "Warning: LeadPolicy default/inbound routes to Team default/emea, which the proposal does not define") {
		t.Errorf("missing team: %d %s %s", code, stdout, stderr)
	}
	// The proposal may come on stdin, as kustomize build prints it.
	var out, errOut bytes.Buffer
	e := env{stdin: strings.NewReader(previewTeams + "---\n" + previewEMEA + "---\n" + previewPolicy), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return map[string]string{"LEADCTL_STORE": dsn}[k] }}
	if code := run(context.Background(), []string{"preview", "-f", "-", "--from", "2027-03-01T00:00:00Z", "--to", "2027-03-08T00:00:00Z", "-o", "json"}, e); code != exitOK {
		t.Fatalf("-f -: %d %s", code, errOut.String())
	}
	var rep previewReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Counters["routed"] != 6 || rep.Store != "sqlite" {
		t.Errorf("-f -: %v %v", err, rep.Counters)
	}
	// Help names the counters.
	code, stdout, _ = leadctl(t, nil, "preview", "--help")
	if code != exitOK || !strings.Contains(stdout, "overcapacity") || !strings.Contains(stdout, "--fail-on") {
		t.Errorf("help: %d\n%s", code, stdout)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hasRow reports whether some line of a table has these fields, in order, and nothing else.
func hasRow(table string, fields []string) bool {
	for _, line := range strings.Split(table, "\n") {
		if reflect.DeepEqual(strings.Fields(line), fields) {
			return true
		}
	}
	return false
}

func hasRecord(recs [][]string, want []string) bool {
	for _, r := range recs {
		if reflect.DeepEqual(r, want) {
			return true
		}
	}
	return false
}

// TestPreviewQueueWaitsForAMemberBack: a lead that arrives while the team's only member is out of
// office waits, and is routed, before the next lead, at the first arrival after she is back.
func TestPreviewQueueWaitsForAMemberBack(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "leads.db")
	var now time.Time
	st, err := storeopen.Open(context.Background(), dsn, store.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []time.Time{at(10, 30), at(11, 0)} {
		now = c
		if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: []string{"early", "late"}[i], Score: 70}, "seed"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "solo.yaml"), `apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: solo}
spec:
  function: SDR
  members:
    - name: solo-1
      capacity: 5
      outOfOffice:
        - {start: "2027-03-01T00:00:00Z", end: "2027-03-01T10:45:00Z"}
---
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: all}
spec:
  rules:
    - name: everyone
      teamRef: {name: solo}
`)
	code, stdout, stderr := leadctl(t, nil, "preview", "-f", dir, "--store", dsn, "--from", "2027-03-01", "--to", "2027-03-01", "-o", "json", "--leads")
	if code != exitOK {
		t.Fatalf("%d %s", code, stderr)
	}
	var rep previewReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counters["queued"] != 1 || rep.Counters["waiting"] != 0 || rep.Counters["routed"] != 2 {
		t.Errorf("counters %v", rep.Counters)
	}
	early, late := rep.Leads[0], rep.Leads[1]
	if !early.Queued || early.RoutedAt == nil || !early.RoutedAt.Equal(at(11, 0)) || early.Proposed.Owner != "solo-1" {
		t.Errorf("early: %+v", early)
	}
	if late.Queued || late.Proposed.Owner != "solo-1" || !strings.Contains(late.Reason, "next in turn") {
		t.Errorf("late: %+v", late)
	}
	for _, c := range late.Candidates {
		if c.Name == "solo-1" && c.Open != 1 {
			t.Errorf("late saw solo-1 with %d open leads, want 1 (early was routed first)", c.Open)
		}
	}
}

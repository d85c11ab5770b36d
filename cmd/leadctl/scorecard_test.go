package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

// scorecardObjects are the teams and goals of the scorecard tests: marketing grows new leads 10% over
// the previous quarter, sales closes $30,000, and the SDRs keep 90% SLA compliance on web leads (a
// CEL-filtered goal).
const scorecardObjects = `apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: marketing}
spec:
  function: Marketing
  timezone: UTC
  members: [{name: mkt-01, capacity: 10}]
---
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: UTC
  manager: sdr-lead
  members: [{name: sdr-01, capacity: 10}]
---
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sales}
spec:
  function: Sales
  timezone: UTC
  members: [{name: ae-01, capacity: 10}]
---
apiVersion: leadops.io/v1alpha1
kind: TeamGoal
metadata: {name: marketing-new-leads}
spec:
  teamRef: {name: marketing}
  metric: NewLeads
  period: {quarter: 2027-Q1}
  target: {growthPercent: 10}
---
apiVersion: leadops.io/v1alpha1
kind: TeamGoal
metadata: {name: sales-revenue}
spec:
  teamRef: {name: sales}
  metric: Revenue
  period: {quarter: 2027-Q1}
  target: {value: "30000"}
---
apiVersion: leadops.io/v1alpha1
kind: TeamGoal
metadata: {name: sdr-web-sla}
spec:
  teamRef: {name: sdr}
  metric: SLACompliance
  filter: lead.source == 'web'
  period: {quarter: 2027-Q1}
  target: {value: "90"}
`

// scorecardAsOf is the instant the scorecard tests compute at: mid-March 2027.
var scorecardAsOf = time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC)

func day(month time.Month, d, hour, minute int) time.Time {
	y := 2027
	if month >= time.October {
		y = 2026
	}
	return time.Date(y, month, d, hour, minute, 0, 0, time.UTC)
}

// seedScorecard writes the history the expected figures below are computed from by hand. Times are
// 2027 for January to March (Q1) and 2026 for October to December (the previous quarter).
//
//	L1  web/spring   created Jan 5, routed sdr 10:00, touched 10:30, accepted Jan 6, won Feb 10 for 10,000
//	L2  web/spring   created Jan 10, routed sdr 10:00, breached 11:00, touched 12:00, rejected Jan 11 "no budget"
//	L3  web/-        created Feb 1, routed sales 09:00, touched 09:10, accepted Feb 2, lost Feb 20
//	L4  ads/summer   created Feb 3, routed sales 09:00, touched 10:00 (at the deadline), accepted, won Mar 1 for 5,000
//	L5  ads/summer   created Feb 5, routed sdr 09:00, never touched: overdue
//	L6  ads/summer   created Feb 6, disqualified by marketing
//	L7  partner/-    created Mar 1, new
//	L8  web/spring   created Dec 20, routed sdr Dec 20 10:00, touched Jan 2 10:00, rejected Jan 3 "no budget"
//	L9  web/spring   created Nov 10, routed sales, touched, accepted Nov 11, won Jan 15 for 2,500
//	L10 ads/summer   created Mar 2, routed sdr 09:00, touched 09:20, rejected Mar 3 "wrong contact"
//	L11 web/-        created Nov 20, new
func seedScorecard(t *testing.T, st store.Backend, clk *fakeClock) {
	t.Helper()
	ctx := context.Background()
	ids := map[string]string{}
	get := func(ext string) *lead.Lead {
		l, err := st.GetLead(ctx, ids[ext])
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	create := func(ext, source, campaign string, at time.Time) {
		clk.Set(at)
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Company: ext + " Inc", Source: source, Campaign: campaign, Score: 70}, "hubspot")
		if err != nil {
			t.Fatal(err)
		}
		ids[ext] = l.ID
	}
	act := func(ext string, kind store.ActivityKind, at time.Time, reason string, amount float64) {
		clk.Set(at)
		if _, err := st.Apply(ctx, ids[ext], store.Activity{Kind: kind, Actor: "rep", At: at, Reason: reason, Amount: amount}); err != nil {
			t.Fatalf("%s %s: %v", kind, ext, err)
		}
	}
	route := func(ext, team, owner string, at time.Time) {
		act(ext, store.ActivityQualify, at.Add(-time.Minute), "", 0)
		due := at.Add(time.Hour)
		next, err := lead.Route(*get(ext), owner, "default/"+team, "default/inbound", "rest", at, lead.Deadlines{FirstTouchDue: &due})
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(at)
		if _, err := st.Update(ctx, &next, store.AuditEvent{At: at, Actor: "controller", Type: lead.EventRouted,
			Data: map[string]any{"owner": owner, "team": "default/" + team}}); err != nil {
			t.Fatal(err)
		}
	}
	breach := func(ext string, at time.Time) {
		next, err := lead.RecordBreach(*get(ext), lead.SLAFirstTouch, at)
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(at)
		if _, err := st.Update(ctx, &next, store.AuditEvent{At: at, Actor: "controller", Type: lead.EventBreached}); err != nil {
			t.Fatal(err)
		}
	}
	const (
		touch, accept, reject = store.ActivityTouch, store.ActivityAccept, store.ActivityReject
		win, lose, disqualify = store.ActivityWin, store.ActivityLose, store.ActivityDisqualify
	)
	create("L9", "web", "spring", day(time.November, 10, 9, 0))
	route("L9", "sales", "ae-01", day(time.November, 10, 10, 0))
	act("L9", touch, day(time.November, 10, 10, 15), "", 0)
	act("L9", accept, day(time.November, 11, 9, 0), "", 0)
	create("L11", "web", "", day(time.November, 20, 9, 0))
	create("L8", "web", "spring", day(time.December, 20, 9, 0))
	route("L8", "sdr", "sdr-01", day(time.December, 20, 10, 0))
	act("L8", touch, day(time.January, 2, 10, 0), "", 0)
	act("L8", reject, day(time.January, 3, 9, 0), "no budget", 0)
	create("L1", "web", "spring", day(time.January, 5, 9, 0))
	route("L1", "sdr", "sdr-01", day(time.January, 5, 10, 0))
	act("L1", touch, day(time.January, 5, 10, 30), "", 0)
	act("L1", accept, day(time.January, 6, 9, 0), "", 0)
	create("L2", "web", "spring", day(time.January, 10, 9, 0))
	route("L2", "sdr", "sdr-01", day(time.January, 10, 10, 0))
	breach("L2", day(time.January, 10, 11, 0))
	act("L2", touch, day(time.January, 10, 12, 0), "", 0)
	act("L2", reject, day(time.January, 11, 9, 0), "no budget", 0)
	act("L9", win, day(time.January, 15, 9, 0), "", 2500)
	create("L3", "web", "", day(time.February, 1, 8, 0))
	route("L3", "sales", "ae-01", day(time.February, 1, 9, 0))
	act("L3", touch, day(time.February, 1, 9, 10), "", 0)
	act("L3", accept, day(time.February, 2, 9, 0), "", 0)
	create("L4", "ads", "summer", day(time.February, 3, 8, 0))
	route("L4", "sales", "ae-01", day(time.February, 3, 9, 0))
	act("L4", touch, day(time.February, 3, 10, 0), "", 0)
	act("L4", accept, day(time.February, 3, 11, 0), "", 0)
	create("L5", "ads", "summer", day(time.February, 5, 8, 0))
	route("L5", "sdr", "sdr-01", day(time.February, 5, 9, 0))
	create("L6", "ads", "summer", day(time.February, 6, 8, 0))
	act("L6", disqualify, day(time.February, 6, 9, 0), "student", 0)
	act("L1", win, day(time.February, 10, 9, 0), "", 10000)
	act("L3", lose, day(time.February, 20, 9, 0), "", 0)
	create("L7", "partner", "", day(time.March, 1, 8, 0))
	act("L4", win, day(time.March, 1, 9, 0), "", 5000)
	create("L10", "ads", "summer", day(time.March, 2, 8, 0))
	route("L10", "sdr", "sdr-01", day(time.March, 2, 9, 0))
	act("L10", touch, day(time.March, 2, 9, 20), "", 0)
	act("L10", reject, day(time.March, 3, 9, 0), "wrong contact", 0)
	clk.Set(scorecardAsOf)
}

func f64(v float64) *float64 { return &v }

// wantScorecard holds the hand-computed figures of the seeded history for 2027-Q1 as of mid-March.
var wantScorecard = struct {
	total, sdr, sales, noTeamRow Row
	sources                      map[string]int64 // leads per source
}{
	// Created in Q1: L1-L7, L10. Qualified: L1-L5, L10. Routed: the same six. Accepted: L1, L3, L4.
	// Rejected: L2, L8 (no budget), L10 (wrong contact). First touches in Q1: 10m (L3), 20m (L10),
	// 30m (L1), 1h (L4), 2h (L2), 13 days (L8): lower median 30m, p90 (6th of 6) 13 days. SLA: L1, L3,
	// L4, L10 compliant; L2 (breached), L5 (overdue) not: 4 of 6. Won in Q1: L1, L4, L9 (17,500);
	// conversion 3 won of 6 handed off.
	total: Row{Name: "all leads", Leads: 8, MQLs: 6, HandedOff: 6, Accepted: 3, Rejected: 3,
		RejectionReasons:       []ReasonCount{{"no budget", 2}, {"wrong contact", 1}},
		MedianTimeToFirstTouch: f64(1800), P90TimeToFirstTouch: f64(13 * 24 * 3600), SLACompliance: f64(400.0 / 6),
		WonDeals: 3, Revenue: 17500, Conversion: f64(50)},
	// default/sdr holds L1, L2, L5, L8, L10.
	sdr: Row{Name: "default/sdr", Leads: 4, MQLs: 4, HandedOff: 4, Accepted: 1, Rejected: 3,
		RejectionReasons:       []ReasonCount{{"no budget", 2}, {"wrong contact", 1}},
		MedianTimeToFirstTouch: f64(1800), P90TimeToFirstTouch: f64(13 * 24 * 3600), SLACompliance: f64(50),
		WonDeals: 1, Revenue: 10000, Conversion: f64(25)},
	// default/sales holds L3, L4, L9.
	sales: Row{Name: "default/sales", Leads: 2, MQLs: 2, HandedOff: 2, Accepted: 2, Rejected: 0, RejectionReasons: []ReasonCount{},
		MedianTimeToFirstTouch: f64(600), P90TimeToFirstTouch: f64(3600), SLACompliance: f64(100),
		WonDeals: 2, Revenue: 7500, Conversion: f64(100)},
	// L6 (disqualified) and L7 (new) have no team.
	noTeamRow: Row{Name: "(no team)", Leads: 2, RejectionReasons: []ReasonCount{}},
	sources:   map[string]int64{"web": 3, "ads": 4, "partner": 1},
}

// TestScorecardNumbers checks the scorecard against the hand-computed figures on both backends, and
// against the TeamGoal metrics: every figure that is a goal metric equals the store's GoalMetric
// (the aggregate the TeamGoal reconciler reads) for all leads and for each team.
func TestScorecardNumbers(t *testing.T) {
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			clk := &fakeClock{}
			st, err := storeopen.Open(context.Background(), dsn, store.Options{Clock: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			seedScorecard(t, st, clk)
			dir := t.TempDir()
			write(t, filepath.Join(dir, "objects.yaml"), scorecardObjects)

			sc := scorecardJSON(t, "--store", dsn, "-f", dir)
			checkScorecard(t, sc)
			agreeWithGoalMetrics(t, st, sc)
		})
	}
}

func scorecardJSON(t *testing.T, conn ...string) *Scorecard {
	t.Helper()
	args := append([]string{"scorecard", "--quarter", "2027-Q1", "--as-of", scorecardAsOf.Format(time.RFC3339), "-o", "json"}, conn...)
	code, stdout, stderr := leadctl(t, nil, args...)
	if code != exitOK {
		t.Fatalf("scorecard: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var sc Scorecard
	if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, stdout)
	}
	return &sc
}

func checkScorecard(t *testing.T, sc *Scorecard) {
	t.Helper()
	if sc.Period != "2027-Q1" || !sc.Start.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) || !sc.End.Equal(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("period %s %s..%s", sc.Period, sc.Start, sc.End)
	}
	sameRow(t, sc.Total, wantScorecard.total)
	teams := map[string]Row{}
	for _, r := range sc.Teams {
		teams[r.Name] = r
	}
	if len(sc.Teams) != 3 {
		t.Errorf("team rows %v, want default/sales, default/sdr, (no team)", sc.Teams)
	}
	for _, want := range []Row{wantScorecard.sdr, wantScorecard.sales, wantScorecard.noTeamRow} {
		sameRow(t, teams[want.Name], want)
	}
	for _, r := range sc.Sources {
		if want, ok := wantScorecard.sources[r.Name]; !ok || r.Leads != want {
			t.Errorf("source %s: %d leads, want %d", r.Name, r.Leads, want)
		}
	}
	campaigns := map[string]int64{}
	for _, r := range sc.Campaigns {
		campaigns[r.Name] = r.Leads
	}
	if want := map[string]int64{"spring": 2, "summer": 4, "(no campaign)": 2}; !reflect.DeepEqual(campaigns, want) {
		t.Errorf("leads per campaign %v, want %v", campaigns, want)
	}

	goalRows := map[string]GoalRow{}
	for _, g := range sc.Goals {
		goalRows[g.Name] = g
	}
	// Marketing: 8 new leads against 10% over Q4's 3 (L8, L9, L11), rounded up to 4: achieved.
	if g := goalRows["default/marketing-new-leads"]; g.Current != "8" || g.Target != "4" || g.Baseline != "3" || g.State != string(goals.StateAchieved) ||
		g.Progress == nil || *g.Progress != 2 {
		t.Errorf("marketing goal %+v", g)
	}
	// Sales: 7,500 of 30,000 (L4, L9) with 73.5 of 90 days gone: projected 9,183.67, at risk.
	expected := 73.5 / 90
	if g := goalRows["default/sales-revenue"]; g.Current != "7500" || g.Target != "30000" || g.State != string(goals.StateAtRisk) ||
		g.Progress == nil || *g.Progress != 0.25 || math.Abs(g.ExpectedProgress-expected) > 1e-9 || g.Projection != "9183.67" {
		t.Errorf("sales goal %+v", g)
	}
	// SDR, web leads only (L1 compliant, L2 breached): 50% against 90%.
	if g := goalRows["default/sdr-web-sla"]; g.Current != "50" || g.Target != "90" || g.State != string(goals.StateAtRisk) {
		t.Errorf("sdr goal %+v", g)
	}
}

func sameRow(t *testing.T, got, want Row) {
	t.Helper()
	approx := func(a, b *float64) bool {
		if a == nil || b == nil {
			return a == b
		}
		return math.Abs(*a-*b) < 1e-9
	}
	if got.Name != want.Name || got.Leads != want.Leads || got.MQLs != want.MQLs || got.HandedOff != want.HandedOff ||
		got.Accepted != want.Accepted || got.Rejected != want.Rejected || !reflect.DeepEqual(got.RejectionReasons, want.RejectionReasons) ||
		!approx(got.MedianTimeToFirstTouch, want.MedianTimeToFirstTouch) || !approx(got.P90TimeToFirstTouch, want.P90TimeToFirstTouch) ||
		!approx(got.SLACompliance, want.SLACompliance) || got.WonDeals != want.WonDeals || got.Revenue != want.Revenue ||
		!approx(got.Conversion, want.Conversion) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("row %s:\n got %s\nwant %s", want.Name, g, w)
	}
}

// agreeWithGoalMetrics holds every scorecard figure that is a TeamGoal metric to the store's
// GoalMetric over the same period, for all leads and each team.
func agreeWithGoalMetrics(t *testing.T, st store.Backend, sc *Scorecard) {
	t.Helper()
	rows := append([]Row{sc.Total}, sc.Teams...)
	for _, r := range rows {
		scope := r.Name
		switch scope {
		case allLeads:
			scope = ""
		case noTeam:
			continue
		}
		figures := map[goals.Metric]*float64{
			goals.MetricNewLeads: f64(float64(r.Leads)), goals.MetricMQLs: f64(float64(r.MQLs)), goals.MetricAccepted: f64(float64(r.Accepted)),
			goals.MetricWonDeals: f64(float64(r.WonDeals)), goals.MetricRevenue: f64(r.Revenue), goals.MetricConversionRate: r.Conversion,
			goals.MetricSLACompliance: r.SLACompliance, goals.MetricTimeToFirstTouch: r.MedianTimeToFirstTouch,
		}
		for m, got := range figures {
			v, known, err := st.GoalMetric(context.Background(), store.GoalQuery{Metric: string(m), Team: scope, Start: sc.Start, End: sc.End, Now: sc.AsOf})
			if err != nil {
				t.Fatal(err)
			}
			if !known {
				if got != nil {
					t.Errorf("%s %s: scorecard %v, the store's GoalMetric says unknown", r.Name, m, *got)
				}
				continue
			}
			if got == nil || math.Abs(*got-v) > 1e-6 {
				t.Errorf("%s %s: scorecard %v, the store's GoalMetric %v", r.Name, m, got, v)
			}
		}
	}
}

// TestScorecardOutputs checks the table, the CSV, the HTTP API mode (the same numbers as the store
// mode) and the charts: a well-formed SVG and a PNG that decodes.
func TestScorecardOutputs(t *testing.T) {
	clk := &fakeClock{}
	h := newHarnessWith(t, store.Options{Clock: clk.Now})
	seedScorecard(t, h.st, clk)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "objects.yaml"), scorecardObjects)
	dsn := []string{"--store", "sqlite://" + filepath.Join(h.dir, "leads.db"), "-f", dir}
	asOf := []string{"--quarter", "2027-Q1", "--as-of", scorecardAsOf.Format(time.RFC3339)}

	viaStore, viaAPI := scorecardJSON(t, dsn...), scorecardJSON(t, append(append([]string{}, h.connArgs...), "-f", dir)...)
	if !reflect.DeepEqual(viaStore, viaAPI) {
		a, _ := json.Marshal(viaStore)
		b, _ := json.Marshal(viaAPI)
		t.Errorf("the HTTP API's scorecard differs:\nstore %s\napi   %s", a, b)
	}

	code, table, stderr := leadctl(t, nil, append(append([]string{"scorecard"}, asOf...), dsn...)...)
	if code != exitOK {
		t.Fatalf("table: %d %s", code, stderr)
	}
	for _, want := range []string{
		"Scorecard 2027-Q1: Fri 1 Jan 2027 00:00 UTC to Thu 1 Apr 2027 00:00 UTC (UTC), as of Mon 15 Mar 2027 12:00 UTC",
		"all leads 8 0 6 6 3 3 30m 312h 66.67% 3 17,500 50%",
		"default/sdr 4 0 4 4 1 3 30m 312h 50% 1 10,000 25%",
		"all leads: no budget (2); wrong contact (1)",
		"default/sales-revenue default/sales Revenue 2027-Q1 7500 30000 25% 82% 9183.67 AtRisk",
		"default/sales-revenue: projected 9,183.67 of 30,000 revenue (-69.4%), beyond the 10% tolerance",
	} {
		if !strings.Contains(words(table), want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	code, out, stderr := leadctl(t, nil, append(append([]string{"scorecard", "-o", "csv"}, asOf...), dsn...)...)
	if code != exitOK {
		t.Fatalf("csv: %d %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("-o csv is not CSV: %v\n%s", err, out)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if r := recs[1]; r[col["section"]] != "total" || r[col["leads"]] != "8" || r[col["revenue"]] != "17500" ||
		r[col["top_rejection_reasons"]] != "no budget (2); wrong contact (1)" || r[col["ttft_median_seconds"]] != "1800" {
		t.Errorf("csv total row %v", r)
	}
	if last := recs[len(recs)-1]; last[col["section"]] != "goal" || last[col["name"]] != "default/sdr-web-sla" || last[col["goal_state"]] != "AtRisk" {
		t.Errorf("csv last row %v", last)
	}

	for _, name := range []string{"q1.svg", "q1.png"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			code, _, stderr := leadctl(t, nil, append(append([]string{"scorecard", "--chart", path}, asOf...), dsn...)...)
			if code != exitOK || !strings.Contains(stderr, "chart written to "+path) {
				t.Fatalf("--chart: %d %s", code, stderr)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".png") {
				img, err := png.Decode(bytes.NewReader(raw))
				if err != nil {
					t.Fatalf("not a PNG: %v", err)
				}
				if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 400 {
					t.Fatalf("PNG of %v", b)
				}
				return
			}
			checkSVG(t, raw, "Funnel by source, 2027-Q1", "default/sales-revenue", "web", "ads", "partner")
		})
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--quarter", "2027-Q5"}, `--quarter "2027-Q5": quarter must be Q1 to Q4`},
		{[]string{"--quarter", "2027-Q1", "--month", "2027-02"}, "give exactly one of --quarter, --month or --from/--to (2 set)"},
		{[]string{"--from", "2027-01-01"}, "--from and --to go together"},
		{[]string{"--month", "2027-02", "--chart", "x.pdf"}, `--chart: "x.pdf": the chart is an .svg or a .png file`},
		{[]string{"--month", "2027-02", "--tz", "Mars/Olympus"}, `--tz: unknown timezone "Mars/Olympus"`},
	} {
		code, _, stderr := leadctl(t, nil, append(append([]string{"scorecard"}, tc.args...), dsn...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.msg)
		}
	}
}

// checkSVG parses the SVG with encoding/xml to its end and looks for the texts.
func checkSVG(t *testing.T, raw []byte, texts ...string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(raw))
	var root string
	var chars strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			chars.Write(tok)
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	for _, s := range texts {
		if !strings.Contains(chars.String(), s) {
			t.Errorf("the SVG has no text %q", s)
		}
	}
}

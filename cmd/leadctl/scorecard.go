package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
)

const scorecardHelp = `Marketing's and sales' shared numbers for a period on one page: per team, per source and per
campaign the leads (and among them the duplicates: leads the store linked to an open lead with
the same email), MQLs, leads handed off to sales, accepted and rejected (with the top rejection
reasons), median and 90th-percentile time to first touch, SLA compliance, won deals, revenue and
lead-to-won conversion; the data quality of the leads created in the period, in all and per source
(the share missing email, company, country or employees, and of duplicates, as the LeadPolicy's
DataQualityLow condition and leadops_lead_field_missing_ratio count them); and every TeamGoal's
progress and pace; and, when LeadExperiments are among the objects read (-f or --cluster), every
experiment whose window overlaps the period with its figures per arm and verdict (as "leadctl
experiment report" gives them; the JSON has them in full, the CSV leaves them out).

The figures use the TeamGoal metric definitions: a lead counts in the period by the timestamp its
figure names (created for leads, qualified for MQLs and SLA compliance, routed for handed off,
first touched for time to first touch, accepted, rejected, closed for won deals and revenue);
conversion is won deals over leads handed off in the period. A team's row counts the leads routed
to it; "all leads" is what a Marketing team's goals count. Goal progress is computed as the TeamGoal
controller computes its status, in each goal's own period and team timezone; the goals and their
teams come from -f DIR or --cluster.

  leadctl scorecard --quarter 2027-Q1 -f config/samples
  leadctl scorecard --month 2027-02 --tz America/New_York -o csv > feb.csv
  leadctl scorecard --from 2027-01-04 --to 2027-01-31 -o json
  leadctl scorecard --quarter 2027-Q1 --cluster --chart q1.svg   # or q1.png`

// Scorecard is the whole report, as -o json prints it.
type Scorecard struct {
	Period    string    `json:"period"`
	Timezone  string    `json:"timezone"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	AsOf      time.Time `json:"asOf"`
	Total     Row       `json:"total"`
	Teams     []Row     `json:"teams"`
	Sources   []Row     `json:"sources"`
	Campaigns []Row     `json:"campaigns"`
	// DataQuality is over the leads created in the period, in all and per source.
	DataQuality DataQuality `json:"dataQuality"`
	Goals       []GoalRow   `json:"goals"`
	// GoalsFrom says where the goals were read ("" when none were given).
	GoalsFrom string `json:"goalsFrom,omitempty"`
	// Experiments are the LeadExperiments among the objects read whose window overlaps the period,
	// each evaluated as of AsOf (as `leadctl experiment report` does).
	Experiments []*ExperimentReport `json:"experiments,omitempty"`
}

const (
	noTeam     = "(no team)"
	noSource   = "(no source)"
	noCampaign = "(no campaign)"
	allLeads   = "all leads"
)

func runScorecard(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("scorecard", c, e.stderr)
	quarter := fs.String("quarter", "", "the period is this quarter, e.g. 2027-Q1")
	month := fs.String("month", "", "the period is this month, e.g. 2027-02")
	from := fs.String("from", "", "the period starts on this day (YYYY-MM-DD, with --to)")
	to := fs.String("to", "", "the period ends with this day (YYYY-MM-DD, inclusive)")
	tz := fs.String("tz", "UTC", "the IANA timezone the period's days are in")
	output := fs.String("o", "table", "output: table, csv or json")
	chart := fs.String("chart", "", "also draw a chart (funnel by source, goal progress) to this .svg or .png file")
	asOf := fs.String("as-of", "", "compute as of this instant (RFC 3339; default now): overdue handoffs and goal pace are judged then")
	top := fs.Int("top", 3, "show this many rejection reasons per row")
	var of objectFlags
	of.register(fs, "the TeamGoals and their Teams")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "leadctl scorecard: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return usageErr("unexpected arguments: %s", strings.Join(pos, " "))
	}
	if *output != "table" && *output != "csv" && *output != "json" {
		return usageErr("-o %q: use table, csv or json", *output)
	}
	if *chart != "" {
		if _, err := chartFormat(*chart); err != nil {
			return usageErr("--chart: %v", err)
		}
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageErr("--tz: unknown timezone %q: use an IANA name such as America/New_York", *tz)
	}
	spec := goals.PeriodSpec{Quarter: *quarter, Month: *month}
	if *from != "" || *to != "" {
		if *from == "" || *to == "" {
			return usageErr("--from and --to go together")
		}
		spec.Range = &goals.RangeSpec{Start: *from, End: *to}
	}
	period, err := goals.ResolvePeriod(spec, loc)
	if err != nil {
		msg := err.Error()
		msg = strings.NewReplacer("period.quarter: ", "--quarter ", "period.month: ", "--month ", "period.range.start: ", "--from ",
			"period.range.end: ", "--to ", "period.range: ", "--from/--to: ", "period: ", "").Replace(msg)
		msg = strings.Replace(msg, "set exactly one of quarter, month or range", "give exactly one of --quarter, --month or --from/--to", 1)
		return usageErr("%s", msg)
	}
	now := time.Now()
	if *asOf != "" {
		if now, err = time.Parse(time.RFC3339, *asOf); err != nil {
			return usageErr("--as-of %q is not an RFC 3339 time such as 2027-02-15T12:00:00Z", *asOf)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	objs, err := of.load(ctx, e)
	if err != nil {
		return usageErr("%v", err)
	}
	b, err := open(ctx, e, c)
	if err != nil {
		return usageErr("%v", err)
	}
	defer b.Close()
	sc, err := buildScorecard(ctx, b, period, now, objs, *top)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl scorecard:", err)
		return exitError
	}
	switch *output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(sc)
	case "csv":
		err = writeScorecardCSV(e.stdout, sc)
	default:
		writeScorecardTable(e.stdout, sc)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl scorecard:", err)
		return exitError
	}
	if *chart != "" {
		if err := drawChart(sc, *chart); err != nil {
			fmt.Fprintln(e.stderr, "leadctl scorecard: --chart:", err)
			return exitError
		}
		fmt.Fprintf(e.stderr, "leadctl scorecard: chart written to %s\n", *chart)
	}
	return exitOK
}

// buildScorecard reads the period's leads and the goals' figures.
func buildScorecard(ctx context.Context, b backend, period goals.Period, now time.Time, objs *objects, top int) (*Scorecard, error) {
	src, err := sourceFor(ctx, b)
	if err != nil {
		return nil, err
	}
	start, end := period.Start, minTime(now, period.End)
	sc := &Scorecard{Period: period.Label(), Timezone: period.Location().String(), Start: period.Start, End: period.End, AsOf: now,
		Teams: []Row{}, Sources: []Row{}, Campaigns: []Row{}, Goals: []GoalRow{}}
	var ls []*lead.Lead
	if end.After(start) {
		if ls, err = periodLeads(ctx, src, start, end, now); err != nil {
			return nil, err
		}
	}
	sc.Total = computeRow(allLeads, ls, start, end, now, top)
	sc.Teams = groupRows(ls, func(l *lead.Lead) string { return l.Team }, noTeam, start, end, now, top)
	sc.Sources = groupRows(ls, func(l *lead.Lead) string { return l.Source }, noSource, start, end, now, top)
	sc.Campaigns = groupRows(ls, func(l *lead.Lead) string { return l.Campaign }, noCampaign, start, end, now, top)
	sc.DataQuality = dataQuality(ls, start, end)
	if objs != nil {
		sc.GoalsFrom = objs.From
		for _, g := range objs.Goals {
			row, err := goalRow(ctx, src, objs, g, now)
			if err != nil {
				return nil, fmt.Errorf("goal %s/%s: %w", g.Namespace, g.Name, err)
			}
			sc.Goals = append(sc.Goals, row)
		}
		if err := scorecardExperiments(ctx, sc, src, objs, period, now); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// scorecardExperiments evaluates the experiments that ran in the period: their window overlaps it.
func scorecardExperiments(ctx context.Context, sc *Scorecard, src leadSource, objs *objects, period goals.Period, now time.Time) error {
	if len(objs.Experiments) == 0 {
		return nil
	}
	xs, ok := src.(experimentSource)
	if !ok {
		if ss, isStore := src.(storeSource); isStore {
			xs, ok = ss.st.(experimentSource)
		}
	}
	if !ok {
		return errors.New("this store cannot list an experiment's leads")
	}
	for _, x := range objs.Experiments {
		start, end, err := experimentWindow(x)
		if err != nil {
			return fmt.Errorf("experiment %s/%s: %w", x.Namespace, x.Name, err)
		}
		if !start.Before(period.End) || (!end.IsZero() && !end.After(period.Start)) {
			continue
		}
		rep, err := evaluateExperiment(ctx, xs, x, now)
		if err != nil {
			return fmt.Errorf("experiment %s/%s: %w", x.Namespace, x.Name, err)
		}
		sc.Experiments = append(sc.Experiments, rep)
	}
	return nil
}

// Cells: how a figure reads in the table and the CSV.

func countCell(n int64) string { return strconv.FormatInt(n, 10) }

func percentCell(v *float64) string {
	if v == nil {
		return ""
	}
	return goals.FormatValue(goals.MetricConversionRate, *v) + "%"
}

func secondsCell(v *float64) string {
	if v == nil {
		return ""
	}
	return goals.FormatValue(goals.MetricTimeToFirstTouch, *v)
}

func reasonsCell(rs []ReasonCount) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s (%d)", r.Reason, r.Count)
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var rowHeader = []string{"LEADS", "DUPLICATES", "MQLS", "HANDED OFF", "ACCEPTED", "REJECTED", "TTFT MEDIAN", "TTFT P90", "SLA MET", "WON", "REVENUE", "WON/HANDED OFF"}

func rowCells(r Row) []string {
	return []string{countCell(r.Leads), countCell(r.Duplicates), countCell(r.MQLs), countCell(r.HandedOff), countCell(r.Accepted), countCell(r.Rejected),
		orDash(secondsCell(r.MedianTimeToFirstTouch)), orDash(secondsCell(r.P90TimeToFirstTouch)), orDash(percentCell(r.SLACompliance)),
		countCell(r.WonDeals), money(r.Revenue), orDash(percentCell(r.Conversion))}
}

func writeScorecardTable(w io.Writer, sc *Scorecard) {
	layout := "Mon 2 Jan 2006 15:04 MST"
	fmt.Fprintf(w, "Scorecard %s: %s to %s (%s), as of %s\n", sc.Period, sc.Start.Format(layout), sc.End.Format(layout), sc.Timezone,
		sc.AsOf.In(sc.Start.Location()).Format(layout))
	section := func(title string, rows []Row) {
		fmt.Fprintln(w)
		// Names left-aligned, figures right-aligned: the names are padded to one width by hand.
		width := len(title)
		for _, r := range rows {
			width = max(width, len(r.Name))
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%-*s\t%s\t\n", width, strings.ToUpper(title), strings.Join(rowHeader, "\t"))
		for _, r := range rows {
			fmt.Fprintf(tw, "%-*s\t%s\t\n", width, r.Name, strings.Join(rowCells(r), "\t"))
		}
		tw.Flush()
	}
	section("By team", append([]Row{sc.Total}, sc.Teams...))
	section("By source", sc.Sources)
	section("By campaign", sc.Campaigns)
	writeQualityTable(w, sc.DataQuality)

	fmt.Fprintln(w, "\nTop rejection reasons")
	any := false
	for _, r := range append([]Row{sc.Total}, sc.Teams...) {
		if len(r.RejectionReasons) > 0 {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, reasonsCell(r.RejectionReasons))
			any = true
		}
	}
	if !any {
		fmt.Fprintln(w, "  (no lead was rejected in the period)")
	}

	writeGoalsTable(w, sc)
	writeScorecardExperiments(w, sc)
}

// writeScorecardExperiments lists the experiments that ran in the period, one line of figures and
// the verdict's message each; nothing when no LeadExperiment was among the objects read.
func writeScorecardExperiments(w io.Writer, sc *Scorecard) {
	if len(sc.Experiments) == 0 {
		return
	}
	fmt.Fprintln(w, "\nExperiments")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPERIMENT\tMETRIC\tARMS\tPER ARM\tLIFT\tPHASE\tVERDICT")
	for _, r := range sc.Experiments {
		leads, values := make([]string, len(r.Arms)), make([]string, len(r.Arms))
		for i, a := range r.Arms {
			leads[i] = fmt.Sprintf("%s=%d", a.Name, a.Leads)
			values[i] = orDash(a.Value)
		}
		verdict := r.Verdict
		if r.Winner != "" {
			verdict += " (" + r.Winner + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Experiment, r.Metric, strings.Join(leads, " "), strings.Join(values, " / "), orDash(r.Lift), r.Phase, verdict)
	}
	tw.Flush()
	for _, r := range sc.Experiments {
		fmt.Fprintf(w, "  %s: %s\n", r.Experiment, r.Message)
	}
}

func writeGoalsTable(w io.Writer, sc *Scorecard) {
	fmt.Fprintln(w, "\nGoals")
	if sc.GoalsFrom == "" {
		fmt.Fprintln(w, "  (give the TeamGoals with -f DIR or --cluster)")
		return
	}
	if len(sc.Goals) == 0 {
		fmt.Fprintf(w, "  (no TeamGoal in %s)\n", sc.GoalsFrom)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GOAL\tTEAM\tMETRIC\tPERIOD\tCURRENT\tTARGET\tPROGRESS\tEXPECTED\tPROJECTION\tSTATE")
	for _, g := range sc.Goals {
		progress := ""
		if g.Progress != nil {
			progress = goals.FormatPercent(*g.Progress)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Name, g.Team, g.Metric, orDash(g.Period), orDash(g.Current), orDash(g.Target),
			orDash(progress), goals.FormatPercent(g.ExpectedProgress), orDash(g.Projection), g.State)
	}
	tw.Flush()
	for _, g := range sc.Goals {
		fmt.Fprintf(w, "  %s: %s\n", g.Name, g.Message)
	}
}

// writeScorecardCSV writes one table: a row per group (section team, source or campaign, and the
// total) with the funnel columns, the data quality (section data_quality: all leads, then a row per
// source) in leads, duplicates and the data-quality columns (the last ones), then a row per goal
// (section goal) with the goal columns.
func writeScorecardCSV(w io.Writer, sc *Scorecard) error {
	cw := csv.NewWriter(w)
	header := []string{"period", "section", "name", "leads", "mqls", "handed_off", "accepted", "rejected", "top_rejection_reasons",
		"ttft_median_seconds", "ttft_p90_seconds", "sla_compliance_percent", "won_deals", "revenue", "conversion_percent",
		"duplicates", "goal_team", "goal_metric", "goal_period", "goal_current", "goal_target", "goal_baseline", "goal_progress_percent",
		"goal_expected_progress_percent", "goal_projection", "goal_state"}
	header = append(header, qualityCSVHeader...)
	if err := cw.Write(header); err != nil {
		return err
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	write := func(section string, rows ...Row) {
		for _, r := range rows {
			rec := []string{sc.Period, section, r.Name, countCell(r.Leads), countCell(r.MQLs), countCell(r.HandedOff), countCell(r.Accepted),
				countCell(r.Rejected), reasonsCell(r.RejectionReasons), num(r.MedianTimeToFirstTouch), num(r.P90TimeToFirstTouch),
				num(r.SLACompliance), countCell(r.WonDeals), strconv.FormatFloat(r.Revenue, 'f', -1, 64), num(r.Conversion),
				countCell(r.Duplicates)}
			_ = cw.Write(append(rec, make([]string, len(header)-len(rec))...))
		}
	}
	write("total", sc.Total)
	write("team", sc.Teams...)
	write("source", sc.Sources...)
	write("campaign", sc.Campaigns...)
	for _, r := range append([]QualityRow{sc.DataQuality.Total}, sc.DataQuality.Sources...) {
		cols, dups := qualityCSV(r, num)
		rec := make([]string, len(header)-len(cols))
		rec[0], rec[1], rec[2], rec[3], rec[15] = sc.Period, "data_quality", r.Name, countCell(r.Leads), dups
		_ = cw.Write(append(rec, cols...))
	}
	for _, g := range sc.Goals {
		var progress string
		if g.Progress != nil {
			p := *g.Progress * 100
			progress = num(&p)
		}
		expected := g.ExpectedProgress * 100
		rec := make([]string, 16)
		rec[0], rec[1], rec[2] = sc.Period, "goal", g.Name
		rec = append(rec, g.Team, g.Metric, g.Period, g.Current, g.Target, g.Baseline, progress, num(&expected), g.Projection, g.State)
		_ = cw.Write(append(rec, make([]string, len(header)-len(rec))...))
	}
	cw.Flush()
	return cw.Error()
}

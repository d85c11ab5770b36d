package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

const experimentHelp = `Report a LeadExperiment from the lead store: per arm the leads it took in, how many the metric
measures, the value with its confidence interval, the lift over the control (the first arm), the
Holm-adjusted p-value of the test against the control, and the verdict the controller would set
as the Concluded condition (InsufficientData, Running, Winner or NoSignificantDifference), with
the secondary metrics' figures below. A winner is never named before every arm has
minLeadsPerArm measured leads and the experiment has ended. docs/experiments.md explains the tests.

The experiment comes from -f FILE|DIR or --cluster, the leads from --store or --server. Policy arms
count the leads the router recorded in the experiment, by arm; observational arms (filters) the
leads created in the experiment's window that match the arm's filter (the first that matches).

  leadctl experiment report spring-threshold -f config/samples --store "$LEADCTL_STORE"
  leadctl experiment report default/spring-threshold --cluster -o json
  leadctl experiment report spring-threshold -f config/samples --as-of 2027-03-16T00:00:00Z --chart arms.png`

func runExperiment(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("experiment", c, e.stderr)
	output := fs.String("o", "table", "output: table or json")
	chart := fs.String("chart", "", "also draw the metric per arm with its interval to this .png or .svg file")
	asOf := fs.String("as-of", "", "evaluate as of this instant (RFC 3339; default now): whether it has ended, and overdue handoffs, are judged then")
	var of objectFlags
	of.register(fs, "the LeadExperiment")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "leadctl experiment: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) == 0 || pos[0] != "report" {
		return usageErr("say what to do: leadctl experiment report NAME")
	}
	if len(pos) != 2 {
		return usageErr("report takes one experiment NAME (or NAMESPACE/NAME), got %d", len(pos)-1)
	}
	if *output != "table" && *output != "json" {
		return usageErr("-o %q: use table or json", *output)
	}
	if *chart != "" {
		if _, err := chartFormat(*chart); err != nil {
			return usageErr("--chart: %v", err)
		}
	}
	if !of.given() {
		return usageErr("say where the LeadExperiment is: -f FILE|DIR or --cluster")
	}
	now := time.Now()
	if *asOf != "" {
		var err error
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
	x, err := findExperiment(objs, pos[1], of.namespace)
	if err != nil {
		return usageErr("%v", err)
	}
	b, err := open(ctx, e, c)
	if err != nil {
		return usageErr("%v", err)
	}
	defer b.Close()
	src, err := experimentSourceFor(ctx, b)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl experiment:", err)
		return exitError
	}
	rep, err := evaluateExperiment(ctx, src, x, now)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl experiment:", err)
		return exitError
	}
	if *output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		writeExperimentTable(e.stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl experiment:", err)
		return exitError
	}
	if *chart != "" {
		if err := drawExperimentChart(rep, *chart); err != nil {
			fmt.Fprintln(e.stderr, "leadctl experiment: --chart:", err)
			return exitError
		}
		fmt.Fprintf(e.stderr, "leadctl experiment: chart written to %s\n", *chart)
	}
	return exitOK
}

func writeExperimentTable(w io.Writer, r *ExperimentReport) {
	kind := "policy arms"
	if r.Observational {
		kind = "observational arms"
	}
	fmt.Fprintf(w, "Experiment %s (%s): %s at %s confidence, minimum %d per arm\n", r.Experiment, kind, r.Metric, r.Confidence, r.MinLeadsPerArm)
	window := "from its creation"
	if r.Start != nil {
		window = "from " + r.Start.Format(time.RFC3339)
	}
	if r.End != nil {
		window += " to " + r.End.Format(time.RFC3339)
	} else {
		window += ", no end set"
	}
	fmt.Fprintf(w, "Window %s; %s as of %s\n\n", window, strings.ToLower(r.Phase), r.AsOf.UTC().Format(time.RFC3339))
	writeArmTable(w, r.Arms, true)
	verdict := r.Verdict
	if r.Winner != "" {
		verdict += " (" + r.Winner + ")"
	}
	fmt.Fprintf(w, "\nVerdict: %s\n%s\n", verdict, r.Message)
	if r.Unassigned > 0 {
		fmt.Fprintf(w, "(%d leads recorded under an arm the experiment no longer has are left out)\n", r.Unassigned)
	}
	for _, s := range r.Secondary {
		fmt.Fprintf(w, "\nSecondary metric %s (figures only, no verdict)\n", s.Metric)
		writeArmTable(w, s.Arms, false)
	}
}

func writeArmTable(w io.Writer, rows []ExperimentArmRow, standing bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "ARM\tLEADS\tMEASURED\tEVENTS\tVALUE\tINTERVAL\tLIFT\tP (HOLM)"
	if standing {
		header += "\tVERDICT"
	}
	fmt.Fprintln(tw, header)
	for _, a := range rows {
		events := "-"
		if a.Events != nil {
			events = fmt.Sprint(*a.Events)
		}
		line := fmt.Sprintf("%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s", a.Name, a.Leads, a.Measured, events, orDash(a.Value), orDash(a.Interval), orDash(a.Lift), orDash(a.PValue))
		if standing {
			line += "\t" + a.Standing
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

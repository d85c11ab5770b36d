package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// previewReport is the whole answer of a preview, what -o json prints.
type previewReport struct {
	// Window is the creation window replayed; nil for one lead.
	Window   *previewWindow `json:"window,omitempty"`
	Store    string         `json:"store"`
	Policies []string       `json:"policies"`
	Warnings []string       `json:"warnings,omitempty"`
	Start    previewStart   `json:"start"`
	// Counters are the proposal's figures, by the names --fail-on takes; Actual the same figures as
	// recorded, where they have a meaning.
	Counters map[string]int     `json:"counters"`
	Actual   map[string]int     `json:"actual"`
	Teams    []previewTeamRow   `json:"teams"`
	Members  []previewMemberRow `json:"members"`
	Rules    []previewRuleRow   `json:"rules"`
	SLA      previewSLA         `json:"firstTouchSla"`
	Leads    []*previewLead     `json:"leads,omitempty"`
	Failed   []string           `json:"failed,omitempty"`
	leads    []*previewLead     // every lead, for the per-lead views
	single   bool               // one lead (--lead, --input)
}

type previewWindow struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

type previewTeamRow struct {
	Team     string `json:"team"`
	Actual   int    `json:"actual"`
	Proposed int    `json:"proposed"`
	// Queued counts the leads that would wait for room at arrival, Waiting those still waiting when
	// the window ends.
	Queued  int `json:"queued"`
	Waiting int `json:"waiting"`
}

type previewMemberRow struct {
	Member    string   `json:"member"`
	Teams     []string `json:"teams"`
	Actual    int      `json:"actual"`
	Proposed  int      `json:"proposed"`
	Capacity  *int     `json:"capacity,omitempty"`
	StartLoad int      `json:"startLoad"`
	PeakLoad  int      `json:"peakLoad"`
	// Full: the member's load reached capacity; OverCapacity: it exceeded it (only an open load
	// from before the window under a smaller proposed capacity can).
	Full         bool `json:"full"`
	OverCapacity bool `json:"overCapacity"`
}

type previewRuleRow struct {
	Policy   string `json:"policy"`
	Rule     string `json:"rule"`
	Actual   int    `json:"actual"`
	Proposed int    `json:"proposed"`
}

type previewSLA struct {
	Met     int `json:"met"`
	Missed  int `json:"missed"`
	NoTouch int `json:"noTouch"`
	// Compliance is met ÷ (met + missed) in percent; nil with nothing to measure.
	Compliance       *float64 `json:"compliance,omitempty"`
	ActualMet        int      `json:"actualMet"`
	ActualBreached   int      `json:"actualBreached"`
	ActualCompliance *float64 `json:"actualCompliance,omitempty"`
}

// previewCounterNames are the counters --fail-on knows, with what each counts.
var previewCounterNames = []struct{ name, means string }{
	{"leads", "leads replayed"},
	{"routed", "leads the proposal routes (at arrival, or once room frees up)"},
	{"queued", "leads that would wait for room (every member full or away) at arrival"},
	{"waiting", "leads still waiting for room when the window ends"},
	{"disqualified", "leads the proposal's qualification gate refuses"},
	{"norule", "leads a policy selects but no rule matches"},
	{"unmatched", "leads no proposed policy selects"},
	{"moved", "leads whose team (routed or queued) differs from the recorded one"},
	{"changed", "leads whose outcome, team or owner differs from the recorded one"},
	{"full", "members whose open load would reach their capacity"},
	{"overcapacity", "members whose open load would exceed their capacity"},
	{"slamet", "routed leads whose recorded first touch meets the proposed first-touch SLA"},
	{"slamissed", "routed leads whose recorded first touch misses the proposed first-touch SLA"},
	{"slanotouch", "routed leads with no recorded first touch"},
	{"errors", "leads on which a proposed expression fails"},
}

// buildPreviewReport aggregates the replayed leads.
func buildPreviewReport(prop *previewProposal, r *previewReplay, leads []*previewLead) *previewReport {
	rep := &previewReport{Start: r.start, Counters: map[string]int{}, Actual: map[string]int{}, leads: leads,
		Warnings: prop.warnings}
	for _, p := range prop.policies {
		rep.Policies = append(rep.Policies, p.Key())
	}
	for _, n := range previewCounterNames {
		rep.Counters[n.name] = 0
	}
	for _, n := range []string{"leads", "routed", "queued", "disqualified", "norule", "unmatched", "slamet", "slabreached"} {
		rep.Actual[n] = 0
	}
	teams := map[string]*previewTeamRow{}
	team := func(k string) *previewTeamRow {
		if teams[k] == nil {
			teams[k] = &previewTeamRow{Team: k}
		}
		return teams[k]
	}
	for _, k := range r.teamKeys {
		team(k.String())
	}
	members := map[string]*previewMemberRow{}
	member := func(name string) *previewMemberRow {
		if members[name] == nil {
			members[name] = &previewMemberRow{Member: name}
		}
		return members[name]
	}
	for name, pm := range prop.members {
		m := member(name)
		m.Teams = pm.teams
		c := pm.capacity
		m.Capacity = &c
	}
	rules := map[[2]string]*previewRuleRow{}
	rule := func(p, r string) *previewRuleRow {
		k := [2]string{p, r}
		if rules[k] == nil {
			rules[k] = &previewRuleRow{Policy: p, Rule: r}
		}
		return rules[k]
	}
	for _, p := range prop.policies {
		for _, r := range p.Rules {
			rule(p.Key(), r.Name)
		}
	}
	actualTeams := map[string]map[string]bool{}
	for _, l := range leads {
		c, a, p := rep.Counters, l.Actual, l.Proposed
		c["leads"]++
		if p.Outcome == previewQueued {
			c["waiting"]++
			team(p.Team).Waiting++
		} else {
			c[p.Outcome]++
		}
		if l.Queued { // at arrival, whether routed later or not
			c["queued"]++
			team(p.Team).Queued++
		}
		if len(l.ExpressionErrors) > 0 {
			c["errors"]++
		}
		if p.Outcome == previewRouted {
			team(p.Team).Proposed++
			member(p.Owner).Proposed++
			switch p.SLA {
			case "met":
				c["slamet"]++
			case "missed":
				c["slamissed"]++
			case "notouch":
				c["slanotouch"]++
			}
		}
		if p.Rule != "" {
			rule(p.Policy, p.Rule).Proposed++
		}
		if !l.InStore {
			continue
		}
		rep.Actual["leads"]++
		rep.Actual[a.Outcome]++
		if p.Team != a.Team && (p.Team != "" || a.Team != "") {
			c["moved"]++
		}
		if p.Team != a.Team || p.Owner != a.Owner || p.Outcome != a.Outcome {
			c["changed"]++
		}
		if a.Outcome == previewRouted {
			if a.Team != "" {
				team(a.Team).Actual++
			}
			owner := a.Owner
			if owner == "" {
				owner = "(not recorded)" // a rejected lead keeps no owner
			}
			m := member(owner)
			m.Actual++
			if m.Capacity == nil && a.Team != "" {
				if actualTeams[owner] == nil {
					actualTeams[owner] = map[string]bool{}
				}
				actualTeams[owner][a.Team] = true
			}
			switch a.SLA {
			case "met":
				rep.Actual["slamet"]++
			case "breached":
				rep.Actual["slabreached"]++
			}
		}
		if a.Rule != "" && (a.Outcome == previewRouted || a.Outcome == previewQueued) {
			rule(a.Policy, a.Rule).Actual++
		}
	}
	for name, m := range members {
		m.StartLoad = r.start.Load[name]
		m.PeakLoad = r.peak[name]
		if m.Capacity != nil {
			m.Full = m.PeakLoad >= *m.Capacity
			m.OverCapacity = m.PeakLoad > *m.Capacity
		}
		if m.Full {
			rep.Counters["full"]++
		}
		if m.OverCapacity {
			rep.Counters["overcapacity"]++
		}
		for t := range actualTeams[name] {
			m.Teams = append(m.Teams, t)
		}
		sort.Strings(m.Teams)
	}
	for _, t := range teams {
		rep.Teams = append(rep.Teams, *t)
	}
	sort.Slice(rep.Teams, func(i, j int) bool { return rep.Teams[i].Team < rep.Teams[j].Team })
	for _, m := range members {
		rep.Members = append(rep.Members, *m)
	}
	sort.Slice(rep.Members, func(i, j int) bool {
		a, b := rep.Members[i], rep.Members[j]
		if ta, tb := strings.Join(a.Teams, ","), strings.Join(b.Teams, ","); ta != tb {
			return ta < tb
		}
		return a.Member < b.Member
	})
	for _, ru := range rules {
		rep.Rules = append(rep.Rules, *ru)
	}
	sort.Slice(rep.Rules, func(i, j int) bool {
		if rep.Rules[i].Policy != rep.Rules[j].Policy {
			return rep.Rules[i].Policy < rep.Rules[j].Policy
		}
		return rep.Rules[i].Rule < rep.Rules[j].Rule
	})
	rep.SLA = previewSLA{Met: rep.Counters["slamet"], Missed: rep.Counters["slamissed"], NoTouch: rep.Counters["slanotouch"],
		ActualMet: rep.Actual["slamet"], ActualBreached: rep.Actual["slabreached"]}
	rep.SLA.Compliance = percent(rep.SLA.Met, rep.SLA.Met+rep.SLA.Missed)
	rep.SLA.ActualCompliance = percent(rep.SLA.ActualMet, rep.SLA.ActualMet+rep.SLA.ActualBreached)
	return rep
}

func percent(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := 100 * float64(n) / float64(of)
	return &v
}

// previewCondition is one --fail-on condition: a counter compared with a number or a percentage of
// the leads replayed.
type previewCondition struct {
	text, name, op string
	value          float64
	percent        bool
}

var previewConditionRE = regexp.MustCompile(`^([a-z]+)\s*(>=|<=|==|!=|>|<|=)\s*([0-9]+(?:\.[0-9]+)?)(%?)$`)

// parseFailOn reads "unmatched>0,queued>5%".
func parseFailOn(s string) ([]previewCondition, error) {
	var out []previewCondition
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	known := map[string]bool{}
	var names []string
	for _, n := range previewCounterNames {
		known[n.name] = true
		names = append(names, n.name)
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		m := previewConditionRE.FindStringSubmatch(strings.ToLower(part))
		if m == nil {
			return nil, fmt.Errorf("--fail-on: %q is not NAME OP NUMBER[%%] (OP one of > >= < <= == !=), e.g. unmatched>0,queued>5%%", part)
		}
		if !known[m[1]] {
			return nil, fmt.Errorf("--fail-on: unknown counter %q: one of %s", m[1], strings.Join(names, ", "))
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		op := m[2]
		if op == "=" {
			op = "=="
		}
		out = append(out, previewCondition{text: part, name: m[1], op: op, value: v, percent: m[4] == "%"})
	}
	return out, nil
}

// holds reports whether the condition holds on the report, and says what it measured.
func (c previewCondition) holds(rep *previewReport) (bool, string) {
	n, leads := rep.Counters[c.name], rep.Counters["leads"]
	v := float64(n)
	what := fmt.Sprintf("%s = %d", c.name, n)
	if c.percent {
		v = 0
		if leads > 0 {
			v = 100 * float64(n) / float64(leads)
		}
		what = fmt.Sprintf("%s = %d of %d leads (%.1f%%)", c.name, n, leads, v)
	}
	var ok bool
	switch c.op {
	case ">":
		ok = v > c.value
	case ">=":
		ok = v >= c.value
	case "<":
		ok = v < c.value
	case "<=":
		ok = v <= c.value
	case "==":
		ok = v == c.value
	case "!=":
		ok = v != c.value
	}
	return ok, what
}

// writePreview renders the report in the format asked for.
func writePreview(w io.Writer, rep *previewReport, format string, perLead bool) error {
	switch format {
	case "json":
		if perLead || rep.single {
			rep.Leads = rep.leads
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		if perLead || rep.single {
			return writePreviewLeadsCSV(w, rep.leads)
		}
		return writePreviewCSV(w, rep)
	default:
		if rep.single {
			writePreviewOne(w, rep)
			return nil
		}
		writePreviewTable(w, rep, perLead)
		return nil
	}
}

func writePreviewTable(w io.Writer, rep *previewReport, perLead bool) {
	fmt.Fprintf(w, "Preview of %d %s over %d %s created in [%s, %s), %s store opened read-only.\n",
		len(rep.Policies), plural(len(rep.Policies), "LeadPolicy", "LeadPolicies"), rep.Counters["leads"], plural(rep.Counters["leads"], "lead", "leads"),
		rep.Window.From.Format(time.RFC3339), rep.Window.To.Format(time.RFC3339), rep.Store)
	writePreviewStart(w, rep.Start)
	for _, warn := range rep.Warnings {
		fmt.Fprintln(w, "Warning:", warn)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nOUTCOME\tACTUAL\tPROPOSED")
	for _, n := range []string{"routed", "queued", "waiting", "disqualified", "norule", "unmatched"} {
		a := "-"
		if v, ok := rep.Actual[n]; ok {
			a = strconv.Itoa(v)
		}
		if n == "queued" {
			a = "-" // the store knows only who waits now
		}
		if n == "waiting" {
			a = strconv.Itoa(rep.Actual["queued"])
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", n, a, rep.Counters[n])
	}
	fmt.Fprintf(tw, "moved to another team\t\t%d\n", rep.Counters["moved"])
	fmt.Fprintf(tw, "changed (outcome, team or owner)\t\t%d\n", rep.Counters["changed"])
	if rep.Counters["errors"] > 0 {
		fmt.Fprintf(tw, "expression errors\t\t%d\n", rep.Counters["errors"])
	}
	fmt.Fprintln(tw, "\nTEAM\tACTUAL\tPROPOSED\tQUEUED\tWAITING")
	for _, t := range rep.Teams {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", t.Team, t.Actual, t.Proposed, t.Queued, t.Waiting)
	}
	fmt.Fprintln(tw, "\nMEMBER\tTEAM\tACTUAL\tPROPOSED\tCAPACITY\tSTART LOAD\tPEAK LOAD\t")
	for _, m := range rep.Members {
		capacity, flag := "-", ""
		if m.Capacity != nil {
			capacity = strconv.Itoa(*m.Capacity)
		}
		switch {
		case m.OverCapacity:
			flag = "OVER CAPACITY"
		case m.Full:
			flag = "full"
		}
		teams := strings.Join(m.Teams, ",")
		if teams == "" {
			teams = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%d\t%s\n", m.Member, teams, m.Actual, m.Proposed, capacity, m.StartLoad, m.PeakLoad, flag)
	}
	fmt.Fprintln(tw, "\nPOLICY\tRULE\tACTUAL\tPROPOSED")
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", r.Policy, r.Rule, r.Actual, r.Proposed)
	}
	tw.Flush()
	s := rep.SLA
	fmt.Fprintf(w, "\nFirst-touch SLA, estimated from the recorded touches on the proposed team's clock: %d met, %d missed, %d without a touch%s.\n",
		s.Met, s.Missed, s.NoTouch, compliance(s.Compliance))
	fmt.Fprintf(w, "Recorded: %d touched without a breach, %d breached%s.\n", s.ActualMet, s.ActualBreached, compliance(s.ActualCompliance))
	if perLead {
		fmt.Fprintln(w)
		writePreviewLeadTable(w, rep.leads)
	}
}

func compliance(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf(" (compliance %.1f%%)", *p)
}

func writePreviewStart(w io.Writer, s previewStart) {
	var load []string
	for m, n := range s.Load {
		load = append(load, fmt.Sprintf("%s %d", m, n))
	}
	sort.Strings(load)
	if len(load) == 0 {
		load = []string{"none"}
	}
	fmt.Fprintf(w, "Starting state at %s: open load %s", s.At.Format(time.RFC3339), strings.Join(load, ", "))
	var turns []string
	for _, t := range s.Turns {
		if t.Last != "" {
			turns = append(turns, fmt.Sprintf("%s rule %s after %s", t.Policy, t.Rule, t.Last))
		}
	}
	if len(turns) > 0 {
		fmt.Fprintf(w, "; turns: %s", strings.Join(turns, ", "))
	}
	fmt.Fprintln(w, ".")
}

func sideText(s previewSide) string {
	switch s.Outcome {
	case "":
		return "-"
	case previewRouted:
		owner := s.Owner
		if owner == "" {
			owner = "?"
		}
		return fmt.Sprintf("%s → %s %s", previewRuleName(s), s.Team, owner)
	case previewQueued:
		return fmt.Sprintf("%s → %s (waits)", previewRuleName(s), s.Team)
	case previewDisqualified:
		return "disqualified by " + s.Policy
	case previewNoRule:
		return "no rule of " + s.Policy
	case previewUnmatched:
		return "no policy"
	}
	return s.Outcome
}

func previewRuleName(s previewSide) string {
	if s.Rule == "" {
		return s.Policy
	}
	return s.Policy + "#" + s.Rule
}

func writePreviewLeadTable(w io.Writer, leads []*previewLead) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEAD\tCREATED\tACTUAL\tPROPOSED\tSLA")
	for _, l := range leads {
		prop := sideText(l.Proposed)
		if l.Queued && l.Proposed.Outcome == previewRouted {
			prop += fmt.Sprintf(" after waiting %s", l.RoutedAt.Sub(l.CreatedAt).Round(time.Second))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", previewLeadName(l), l.CreatedAt.Format(time.RFC3339), sideText(l.Actual), prop,
			firstNonEmpty(l.Proposed.SLA, "-"))
	}
	tw.Flush()
}

func previewLeadName(l *previewLead) string {
	if l.ExternalID != "" {
		return l.ExternalID
	}
	return l.ID
}

// writePreviewOne explains one lead's decision next to what happened.
func writePreviewOne(w io.Writer, rep *previewReport) {
	l := rep.leads[0]
	where := "in the store"
	if !l.InStore {
		where = "not in the store"
	}
	fmt.Fprintf(w, "Lead %s (%s), arriving %s, through %d %s; %s store opened read-only.\n",
		previewLeadName(l), where, l.CreatedAt.Format(time.RFC3339), len(rep.Policies), plural(len(rep.Policies), "LeadPolicy", "LeadPolicies"), rep.Store)
	writePreviewStart(w, rep.Start)
	for _, warn := range rep.Warnings {
		fmt.Fprintln(w, "Warning:", warn)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\n\tACTUAL\tPROPOSED")
	dash := func(s string) string { return firstNonEmpty(s, "-") }
	a, p := l.Actual, l.Proposed
	if !l.InStore {
		a = previewSide{}
	}
	fmt.Fprintf(tw, "outcome\t%s\t%s\n", dash(a.Outcome), dash(p.Outcome))
	fmt.Fprintf(tw, "policy\t%s\t%s\n", dash(a.Policy), dash(p.Policy))
	fmt.Fprintf(tw, "rule\t%s\t%s\n", dash(a.Rule), dash(p.Rule))
	fmt.Fprintf(tw, "team\t%s\t%s\n", dash(a.Team), dash(p.Team))
	fmt.Fprintf(tw, "owner\t%s\t%s\n", dash(a.Owner), dash(p.Owner))
	fmt.Fprintf(tw, "stage\t%s\t%s\n", dash(a.Stage), "")
	due := "-"
	if l.FirstTouchDue != nil {
		due = "due " + l.FirstTouchDue.Format(time.RFC3339)
	}
	est := dash(p.SLA)
	if l.FirstTouchAfter != nil {
		est = fmt.Sprintf("%s (touched after %s)", p.SLA, time.Duration(*l.FirstTouchAfter))
	}
	fmt.Fprintf(tw, "first touch\t%s\t%s, %s\n", dash(a.SLA), due, est)
	tw.Flush()
	if l.Reason != "" {
		fmt.Fprintf(w, "\nWhy: %s.\n", strings.TrimSuffix(l.Reason, "."))
	}
	if len(l.Candidates) > 0 {
		var cs []string
		for _, c := range l.Candidates {
			s := fmt.Sprintf("%s %d/%d open", c.Name, c.Open, c.Capacity)
			if c.Skipped != "" {
				s += " (" + c.Skipped + ")"
			}
			cs = append(cs, s)
		}
		fmt.Fprintf(w, "Candidates: %s.\n", strings.Join(cs, "; "))
	}
	for _, e := range l.ExpressionErrors {
		fmt.Fprintln(w, "Expression error:", e)
	}
}

func writePreviewCSV(w io.Writer, rep *previewReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"section", "name", "policy", "team", "actual", "proposed", "queued", "capacity", "start_load", "peak_load"})
	itoa := strconv.Itoa
	for _, n := range previewCounterNames {
		a := ""
		if v, ok := rep.Actual[n.name]; ok && n.name != "queued" {
			a = itoa(v)
		}
		_ = cw.Write([]string{"counter", n.name, "", "", a, itoa(rep.Counters[n.name]), "", "", "", ""})
	}
	for _, t := range rep.Teams {
		_ = cw.Write([]string{"team", t.Team, "", t.Team, itoa(t.Actual), itoa(t.Proposed), itoa(t.Queued), "", "", ""})
	}
	for _, m := range rep.Members {
		capacity := ""
		if m.Capacity != nil {
			capacity = itoa(*m.Capacity)
		}
		_ = cw.Write([]string{"member", m.Member, "", strings.Join(m.Teams, " "), itoa(m.Actual), itoa(m.Proposed), "", capacity,
			itoa(m.StartLoad), itoa(m.PeakLoad)})
	}
	for _, r := range rep.Rules {
		_ = cw.Write([]string{"rule", r.Rule, r.Policy, "", itoa(r.Actual), itoa(r.Proposed), "", "", "", ""})
	}
	cw.Flush()
	return cw.Error()
}

func writePreviewLeadsCSV(w io.Writer, leads []*previewLead) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "external_id", "created_at", "actual_outcome", "actual_policy", "actual_rule", "actual_team",
		"actual_owner", "actual_stage", "actual_sla", "outcome", "policy", "rule", "team", "owner", "queued", "routed_at",
		"first_touch_due", "sla", "reason"})
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, l := range leads {
		a, p := l.Actual, l.Proposed
		_ = cw.Write([]string{l.ID, l.ExternalID, l.CreatedAt.Format(time.RFC3339), a.Outcome, a.Policy, a.Rule, a.Team, a.Owner,
			a.Stage, a.SLA, p.Outcome, p.Policy, p.Rule, p.Team, p.Owner, strconv.FormatBool(l.Queued), ts(l.RoutedAt),
			ts(l.FirstTouchDue), p.SLA, l.Reason})
	}
	cw.Flush()
	return cw.Error()
}

package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

const explainHelp = `Tells one lead's story in plain sentences, from its audit log: which policy (and generation)
governed it, the qualification gate's result, the routing rule, the candidates with their load and
availability and why the owner won, every touch, SLA breach (with its deadline and how late),
reassignment and escalation, with times, and where the SLA clock stands now.

For a lead that was not routed (new, waiting for room, disqualified) it says why not. With the
policies (-f DIR, or --cluster through the kubeconfig) it decides the lead again as it is now, on
the open load in the store, read-only: which policies' selectors failed, the gate's reason, which
rule matched and that its team was full or unavailable, or the expression error. Without them it
says what the audit log and the stage tell.

  leadctl explain 0f8c…                                   # the story, from the audit log
  leadctl explain --external crm-1 -f config/samples      # and why not routed, by the policies in Git
  leadctl explain 0f8c… --cluster                         # … by the policies in the cluster

No personal data: the contact's name and email are not shown.`

func runExplain(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("explain", c, e.stderr)
	external := fs.Bool("external", false, "ID is the lead's external id (from the CRM or the import file)")
	tz := fs.String("tz", "", "show times in this IANA timezone, e.g. America/New_York (default: the local timezone)")
	var of objectFlags
	of.register(fs, "the LeadPolicies and Teams to decide an unrouted lead again")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	ref, err := exactlyOne(fs, pos, "lead ID")
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl:", err)
		return exitUsage
	}
	loc := time.Local
	if *tz != "" {
		if loc, err = time.LoadLocation(*tz); err != nil {
			fmt.Fprintf(e.stderr, "leadctl explain: --tz: unknown timezone %q\n", *tz)
			return exitUsage
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	objs, err := of.load(ctx, e)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl explain:", err)
		return exitUsage
	}
	b, l, events, code := openLead(ctx, e, c, "explain", ref, *external)
	if b == nil {
		return code
	}
	defer b.Close()
	x := &explainer{w: e.stdout, loc: loc, now: time.Now()}
	x.story(l, events)
	if notRouted(l) {
		x.whyNot(ctx, b, l, events, objs)
	}
	x.clock(l)
	return exitOK
}

// explainer writes one lead's explanation.
type explainer struct {
	w   io.Writer
	loc *time.Location
	now time.Time
}

func (x *explainer) at(t time.Time) string { return t.In(x.loc).Format(timeLayout) }

// para writes a paragraph at the given indent, wrapped at about 100 columns.
func (x *explainer) para(indent int, s string) {
	pad := strings.Repeat(" ", indent)
	line := pad
	for _, word := range strings.Fields(s) {
		if len(line) > len(pad) && len(line)+1+len(word) > 100 {
			fmt.Fprintln(x.w, line)
			line = pad + "  "
		}
		if len(line) > len(pad) && line != pad+"  " {
			line += " "
		}
		line += word
	}
	if strings.TrimSpace(line) != "" {
		fmt.Fprintln(x.w, line)
	}
}

// notRouted reports whether the lead never reached an owner in its current cycle: new, waiting for
// room (qualified, no owner) or disqualified.
func notRouted(l *lead.Lead) bool {
	switch l.Stage {
	case lead.StageNew, lead.StageDisqualified:
		return true
	case lead.StageQualified:
		return l.Owner == ""
	}
	return false
}

// story is the lead's summary and its audit log in sentences.
func (x *explainer) story(l *lead.Lead, events []store.AuditEvent) {
	fmt.Fprintln(x.w, leadTitle(l))
	now := "Now " + stageSentence(l, events)
	if l.Owner != "" {
		now += "; owner " + l.Owner
		if l.Team != "" {
			now += " (team " + l.Team + ")"
		}
	}
	if l.Policy != "" && l.Stage != lead.StageDisqualified {
		now += "; governed by policy " + l.Policy
		if l.Rule != "" {
			now += ", rule " + strconv.Quote(l.Rule)
		}
	}
	x.para(2, now+".")
	if l.Experiment != "" {
		x.para(2, fmt.Sprintf("It is in arm %q of experiment %s, assigned when the router first decided it and kept since: "+
			"while the experiment ran, it, not policy priority, chose the policy that governed the lead.", l.Arm, l.Experiment))
	}
	var from []string
	if l.Source != "" {
		from = append(from, "source "+l.Source)
	}
	if l.Campaign != "" {
		from = append(from, "campaign "+l.Campaign)
	}
	from = append(from, fmt.Sprintf("score %d", l.Score))
	if l.Employees > 0 {
		from = append(from, fmt.Sprintf("%d employees", l.Employees))
	}
	if l.Country != "" {
		from = append(from, "country "+l.Country)
	}
	x.para(2, "It came in with "+strings.Join(from, ", ")+".")
	if l.DuplicateOf != "" {
		x.para(2, "It is a duplicate of lead "+l.DuplicateOf+": it arrived with the same email (or duplicate attribute) while that lead was open (leadctl explain "+l.DuplicateOf+").")
	}
	if n := countEvents(events, lead.EventDuplicateAttached); n > 0 {
		x.para(2, fmt.Sprintf("%d later %s of the same person %s linked to it as %s.", n, plural(n, "lead", "leads"), plural(n, "was", "were"), plural(n, "a duplicate", "duplicates")))
	}

	fmt.Fprintln(x.w, "\nStory")
	if len(events) == 0 {
		fmt.Fprintln(x.w, "  (nothing recorded)")
	}
	var handedAt time.Time // the start of the current handoff: routed or reassigned
	var handedTo string
	touched := false
	for _, ev := range events {
		s := x.sentence(ev, handedAt, handedTo, touched)
		switch ev.Type {
		case lead.EventRouted, lead.EventReassigned:
			handedAt, handedTo, touched = ev.At, firstNonEmpty(dataStr(ev, "owner"), dataStr(ev, "to")), false
		case lead.EventTouched:
			touched = true
		case lead.EventQualified:
			handedAt, touched = time.Time{}, false
		}
		fmt.Fprintf(x.w, "  %s\n", x.at(ev.At))
		x.para(4, s)
	}
}

// sentence puts one audit entry in words, with what its data says.
func (x *explainer) sentence(ev store.AuditEvent, handedAt time.Time, handedTo string, touched bool) string {
	who := firstNonEmpty(ev.Actor, "someone")
	byController := ev.Actor == controllerActor
	pol := policyWithGeneration(ev)
	var s string
	switch ev.Type {
	case lead.EventCreated:
		s = who + " created the lead."
	case lead.EventUpdated:
		s = who + " updated the lead's details."
	case lead.EventQualified:
		if byController {
			s = "Policy " + pol + " selected the lead and its qualification gate passed it: the lead is an MQL."
		} else {
			s = who + " (marketing) qualified the lead: it is an MQL and waits to be routed."
		}
	case lead.EventDisqualified:
		if byController {
			s = "Policy " + pol + " selected the lead, but its qualification gate refused it"
		} else {
			s = who + " disqualified the lead"
		}
		if ev.Reason != "" {
			s += ": " + ev.Reason
		}
		s += ". It went back to marketing."
	case lead.EventQueued:
		if dataStr(ev, "rule") == "" {
			s = "Policy " + pol + " governs the lead, but none of its routing rules matched it: it waits unrouted."
		} else {
			s = fmt.Sprintf("Policy %s: %s.", pol, firstNonEmpty(ev.Reason, "the lead waits for room"))
		}
	case lead.EventRouted:
		s = fmt.Sprintf("Routed by rule %q of policy %s to team %s, by %s. %s %s got it: %s.",
			dataStr(ev, "rule"), pol, dataStr(ev, "team"), strategyWords(dataStr(ev, "strategy")),
			candidatesSentence(ev), dataStr(ev, "owner"), firstNonEmpty(dataStr(ev, "why"), "chosen by the strategy"))
	case lead.EventReassigned:
		s = fmt.Sprintf("Reassigned from %s to %s after the SLA breach (reassignment %s), by %s, previous owners excluded. %s %s got it: %s. A fresh SLA started.",
			dataStr(ev, "from"), dataStr(ev, "to"), firstNonEmpty(dataStr(ev, "reassignment"), "?"), strategyWords(dataStr(ev, "strategy")),
			candidatesSentence(ev), dataStr(ev, "to"), firstNonEmpty(dataStr(ev, "why"), "chosen by the strategy"))
	case lead.EventEscalated:
		s = fmt.Sprintf("Escalated from %s to %s, the manager of team %s, after the SLA breach: the manager inherits the overdue handoff as it is (no fresh SLA).",
			dataStr(ev, "from"), dataStr(ev, "to"), dataStr(ev, "team"))
	case lead.EventBreached:
		kind := strings.ReplaceAll(firstNonEmpty(dataStr(ev, "sla"), "an"), "_", "-")
		s = fmt.Sprintf("%s missed the %s deadline", firstNonEmpty(dataStr(ev, "owner"), "The owner"), kind)
		if due, ok := dataTime(ev, "due"); ok {
			s += fmt.Sprintf(" of %s: the breach was recorded %s after it", x.at(due), span(ev.At.Sub(due)))
		}
		s += "."
	case lead.EventTouched, "touch":
		s = who + " made contact"
		if !touched && !handedAt.IsZero() {
			s += fmt.Sprintf(", the first touch, %s after the lead was handed to %s (when the SLA clock started)", span(ev.At.Sub(handedAt)), firstNonEmpty(handedTo, "its owner"))
		}
		s += "."
	case lead.EventAccepted, "accept":
		s = who + " accepted the lead"
		if !handedAt.IsZero() {
			s += fmt.Sprintf(", %s after it was handed off", span(ev.At.Sub(handedAt)))
		}
		s += "."
	case lead.EventRejected, "reject":
		s = who + " rejected the lead back to marketing"
		if ev.Reason != "" {
			s += ": " + ev.Reason
		}
		s += "."
	case lead.EventWon, "win":
		s = who + " won the deal"
		if a := dataStr(ev, "amount"); a != "" {
			if f, err := strconv.ParseFloat(a, 64); err == nil {
				s += " for " + money(f)
			}
		}
		s += "."
	case lead.EventLost, "lose":
		s = who + " lost the deal"
		if ev.Reason != "" {
			s += ": " + ev.Reason
		}
		s += "."
	case lead.EventDuplicate:
		s = fmt.Sprintf("The store linked it to open lead %s, which has the same %s: it is a duplicate.", dataStr(ev, "duplicateOf"), duplicateBasis(ev))
	case lead.EventDuplicateAttached:
		s = fmt.Sprintf("Lead %s arrived with the same %s", dataStr(ev, "duplicate"), duplicateBasis(ev))
		if src := dataStr(ev, "source"); src != "" {
			s += " from " + src
		}
		s += " and was linked to this one as a duplicate."
	case lead.EventDuplicateHandled:
		s = fmt.Sprintf("Policy %s handles duplicates with %s: %s.", pol, firstNonEmpty(dataStr(ev, "mode"), "?"), strings.TrimSuffix(ev.Reason, "."))
	default:
		s = describe(ev) + "."
	}
	if exp := dataStr(ev, "experiment"); exp != "" {
		s += fmt.Sprintf(" Experiment %s, arm %q.", exp, dataStr(ev, "arm"))
	}
	if errs := dataList(ev, "expressionErrors"); len(errs) > 0 {
		s += " Expression errors on the way (each moved the lead on to the next policy or rule): " + strings.Join(errs, "; ") + "."
	}
	if skipped := dataList(ev, "skippedRules"); len(skipped) > 0 {
		s += " Rules that matched but could not route: " + strings.Join(skipped, "; ") + "."
	}
	if e := dataStr(ev, "slaError"); e != "" {
		s += " No SLA deadline was set: " + e + "."
	}
	return s
}

// clock says where the SLA clock of the current handoff stands.
func (x *explainer) clock(l *lead.Lead) {
	fmt.Fprintln(x.w, "\nSLA clock")
	if l.RoutedAt == nil {
		x.para(2, "Not running: the lead has not been handed to sales in its current cycle.")
		return
	}
	owner := firstNonEmpty(l.Owner, "its owner")
	x.para(2, fmt.Sprintf("Handed off %s (the current handoff; %s).", x.at(*l.RoutedAt), owner))
	switch {
	case l.TouchedAt != nil:
		x.para(2, fmt.Sprintf("First touch: %s, %s after the handoff%s.", x.at(*l.TouchedAt), span(l.TouchedAt.Sub(*l.RoutedAt)), dueNote(l.FirstTouchDue, l.TouchedAt, x)))
	case l.FirstTouchDue != nil:
		x.para(2, "First touch: "+x.open(l.FirstTouchDue, l.FirstTouchBreachedAt, l.Stage == lead.StageRouted)+".")
	default:
		x.para(2, "First touch: no deadline.")
	}
	switch {
	case l.AcceptedAt != nil:
		x.para(2, fmt.Sprintf("Accepted: %s%s.", x.at(*l.AcceptedAt), dueNote(l.AcceptanceDue, l.AcceptedAt, x)))
	case l.RejectedAt != nil:
		x.para(2, fmt.Sprintf("Rejected: %s.", x.at(*l.RejectedAt)))
	case l.AcceptanceDue != nil:
		x.para(2, "Accept or reject: "+x.open(l.AcceptanceDue, l.AcceptanceBreachedAt, l.Stage == lead.StageRouted || l.Stage == lead.StageTouched)+".")
	}
	if l.BreachCount > 0 {
		s := fmt.Sprintf("%d SLA %s recorded", l.BreachCount, plural(l.BreachCount, "breach", "breaches"))
		if l.LastBreachAt != nil {
			s += ", the last at " + x.at(*l.LastBreachAt)
		}
		if l.ReassignmentCount > 0 {
			s += fmt.Sprintf("; reassigned %d %s", l.ReassignmentCount, plural(l.ReassignmentCount, "time", "times"))
		}
		if len(l.PreviousOwners) > 0 {
			s += "; previous owners " + strings.Join(l.PreviousOwners, ", ")
		}
		x.para(2, s+".")
	}
}

// open describes an open deadline: due when, and overdue or not as of now.
func (x *explainer) open(due, breached *time.Time, open bool) string {
	s := "due " + x.at(*due)
	switch {
	case breached != nil:
		s += fmt.Sprintf(", missed (breach recorded %s)", x.at(*breached))
	case !open:
		s += ", no longer open"
	case !due.After(x.now):
		s += ", overdue by " + span(x.now.Sub(*due))
	default:
		s += ", " + span(due.Sub(x.now)) + " left"
	}
	return s
}

// dueNote says whether something done at `done` met its deadline.
func dueNote(due, done *time.Time, x *explainer) string {
	if due == nil || done == nil {
		return ""
	}
	if done.After(*due) {
		return fmt.Sprintf(" (%s late: due %s)", span(done.Sub(*due)), x.at(*due))
	}
	return fmt.Sprintf(" (within the SLA: due %s)", x.at(*due))
}

// span is a duration for people: "45 s", "12 min", "2 h 5 min", "3 days 4 h".
func span(d time.Duration) string {
	if d < 0 {
		return "-" + span(-d)
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, s)
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%d days", days)
	}
	return fmt.Sprintf("%d days %d h", days, h)
}

func policyWithGeneration(ev store.AuditEvent) string {
	p := firstNonEmpty(dataStr(ev, "policy"), "?")
	if g := dataStr(ev, "generation"); g != "" {
		p += " (generation " + g + ")"
	}
	return p
}

func strategyWords(s string) string {
	switch s {
	case "", routing.RoundRobin:
		return "round robin"
	case routing.Weighted:
		return "weighted share"
	case routing.LeastLoaded:
		return "least loaded"
	case routing.AccountOwner:
		return "account owner"
	}
	return s
}

// candidatesSentence lists the candidates an entry recorded: each with open leads of capacity, and
// why a skipped one was passed over.
func candidatesSentence(ev store.AuditEvent) string {
	raw, _ := ev.Data["candidates"].([]any)
	if len(raw) == 0 {
		return ""
	}
	var parts []string
	for _, c := range raw {
		m, _ := c.(map[string]any)
		if m == nil {
			continue
		}
		parts = append(parts, candidateWords(str(m["name"]), num(m["open"]), num(m["capacity"]), str(m["skipped"])))
	}
	return "Candidates: " + strings.Join(parts, "; ") + "."
}

func candidateWords(name string, open, capacity int, skipped string) string {
	s := fmt.Sprintf("%s (%d of %d open", name, open, capacity)
	if skipped != "" {
		s += ", passed over: " + skipped
	}
	return s + ")"
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	}
	i, _ := strconv.Atoi(str(v))
	return i
}

func dataStr(ev store.AuditEvent, k string) string {
	v, ok := ev.Data[k]
	if !ok || v == nil {
		return ""
	}
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func dataTime(ev store.AuditEvent, k string) (time.Time, bool) {
	switch v := ev.Data[k].(type) {
	case time.Time:
		return v, true
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil
	}
	return time.Time{}, false
}

func dataList(ev store.AuditEvent, k string) []string {
	switch v := ev.Data[k].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, s := range v {
			out = append(out, str(s))
		}
		return out
	}
	return nil
}

// duplicateBasis is what a duplicate's audit entry says it matched on: "email", or the store's
// duplicate attribute (data "basis").
func duplicateBasis(ev store.AuditEvent) string {
	if b := dataStr(ev, "basis"); b != "" {
		return b
	}
	return "email"
}

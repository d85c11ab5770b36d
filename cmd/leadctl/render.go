package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// The output is for sales managers, not engineers: stages and audit events in words, times in the
// local zone, deadlines with how late or how soon they are.

const timeLayout = "Mon 2 Jan 2006 15:04 MST"

func leadTitle(l *lead.Lead) string {
	who := firstNonEmpty(l.Company, l.Domain, "Lead")
	if l.ExternalID != "" {
		return fmt.Sprintf("%s (%s)", who, l.ExternalID)
	}
	return fmt.Sprintf("%s (%s)", who, l.ID)
}

var stageWords = map[lead.Stage]string{
	lead.StageNew:          "new, not yet qualified by marketing",
	lead.StageQualified:    "qualified by marketing, waiting to be handed to sales",
	lead.StageDisqualified: "disqualified", // by marketing or by a policy's qualification gate: see who below
	lead.StageRouted:       "handed to sales, waiting for the first contact",
	lead.StageTouched:      "contacted by sales, waiting to be accepted or rejected",
	lead.StageAccepted:     "accepted by sales",
	lead.StageRejected:     "rejected by sales and returned to marketing",
	lead.StageWon:          "won",
	lead.StageLost:         "lost",
}

// controllerActor is the audit actor of the leadops controller (controllers.Actor); leadctl does not
// import the controllers for one string.
const controllerActor = "controller"

// stageSentence puts the lead's stage in words. events is its audit trail, when known: it tells who
// disqualified the lead, which the stage alone does not.
func stageSentence(l *lead.Lead, events []store.AuditEvent) string {
	s, ok := stageWords[l.Stage]
	if !ok {
		s = string(l.Stage)
	}
	switch {
	case l.Stage == lead.StageWon && l.Amount > 0:
		s += " for " + money(l.Amount)
	case l.Stage == lead.StageDisqualified:
		if by := disqualifiedBy(l, events); by != "" {
			s += " " + by
		}
		if l.Reason != "" {
			s += ": " + l.Reason
		}
	case l.Reason != "" && l.Stage == lead.StageRejected:
		s += fmt.Sprintf(" (reason: %s)", l.Reason)
	}
	return s
}

// disqualifiedBy names who disqualified the lead, from the latest disqualification in its audit trail.
func disqualifiedBy(l *lead.Lead, events []store.AuditEvent) string {
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.Type == lead.EventDuplicateHandled && ev.Data["mode"] == "Attach" && l.Stage == lead.StageDisqualified {
			return "as a duplicate by policy " + firstNonEmpty(fmt.Sprint(ev.Data["policy"]), l.Policy) + " (spec.duplicates Attach)"
		}
		if ev.Type != lead.EventDisqualified {
			continue
		}
		if ev.Actor == controllerActor {
			return "by " + gateOf(ev, l)
		}
		if ev.Actor != "" {
			return "by " + ev.Actor
		}
		return ""
	}
	return ""
}

// gateOf names the qualification gate that decided, from the event (the policy at that moment) or the lead.
func gateOf(ev store.AuditEvent, l *lead.Lead) string {
	policy := l.Policy
	if p, ok := ev.Data["policy"].(string); ok && p != "" {
		policy = p
	}
	if policy == "" {
		return "a policy's qualification gate"
	}
	return "the qualification gate of policy " + policy
}

func renderLead(w io.Writer, l *lead.Lead, events []store.AuditEvent, now time.Time) {
	fmt.Fprintln(w, leadTitle(l))
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "  %-16s %s\n", label+":", value)
		}
	}
	line("Status", stageSentence(l, events))
	contact := l.Name
	if l.Email != "" {
		contact = strings.TrimSpace(contact + " <" + l.Email + ">")
	}
	line("Contact", contact)
	var company []string
	for _, s := range []string{l.Company, l.Domain, l.Country, l.Industry} {
		if s != "" {
			company = append(company, s)
		}
	}
	if l.Employees > 0 {
		company = append(company, fmt.Sprintf("%d employees", l.Employees))
	}
	line("Company", strings.Join(company, ", "))
	src := l.Source
	if l.Campaign != "" {
		src = strings.TrimSpace(src + ", campaign " + l.Campaign)
	}
	line("Came from", src)
	line("Lead score", strconv.FormatInt(l.Score, 10))
	owner := l.Owner
	if owner == "" {
		owner = "nobody yet"
	}
	if l.Team != "" {
		owner += " (team " + l.Team + ")"
	}
	line("Owner", owner)
	line("Handoff rules", l.Policy)
	if l.DuplicateOf != "" {
		line("Duplicate of", l.DuplicateOf+" (same email or duplicate attribute as that open lead when this one arrived)")
	}
	if n := int(l.Duplicates); n > 0 { // the store's count, kept with the link
		line("Duplicates", fmt.Sprintf("%d later %s of the same person linked to this one", n, plural(n, "lead", "leads")))
	}
	if l.ReassignmentCount > 0 {
		line("Reassigned", fmt.Sprintf("%d %s", l.ReassignmentCount, plural(l.ReassignmentCount, "time", "times")))
	}
	if l.TouchedAt == nil {
		line("First contact", deadline(l.FirstTouchDue, now))
	}
	if l.AcceptedAt == nil && l.RejectedAt == nil {
		line("Accept/reject", deadline(l.AcceptanceDue, now))
	}
	line("Created", l.CreatedAt.Local().Format(timeLayout))
	line("ID", l.ID)

	fmt.Fprintln(w, "\nHistory")
	if len(events) == 0 {
		fmt.Fprintln(w, "  (nothing recorded)")
	}
	for _, ev := range events {
		fmt.Fprintf(w, "  %s  %s\n", ev.At.Local().Format(timeLayout), describe(ev))
	}
}

// deadline says when something is due and whether it is late.
func deadline(due *time.Time, now time.Time) string {
	if due == nil {
		return ""
	}
	s := "due " + due.Local().Format(timeLayout)
	if d := due.Sub(now); d < 0 {
		return s + ", overdue by " + roughly(-d)
	} else {
		return s + ", in " + roughly(d)
	}
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	default:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
}

// describe puts one audit event in words. Types the store adds later still print sensibly. The
// lead.Event constants are what leadops writes; the bare strings beside them are names no writer of
// this tree records (older builds, other tools), still put in words rather than printed raw.
func describe(ev store.AuditEvent) string {
	who := firstNonEmpty(ev.Actor, "someone")
	str := func(k string) string {
		if v, ok := ev.Data[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	var s string
	switch ev.Type {
	case lead.EventCreated:
		s = who + " created the lead"
	case lead.EventUpdated:
		s = who + " updated the lead's details"
	case "stage_changed":
		from, to := str("from"), str("to")
		if to != "" {
			s = fmt.Sprintf("%s moved the lead from %s to %s", who, firstNonEmpty(from, "?"), to)
		} else {
			s = who + " changed the stage"
		}
	case lead.EventQualified:
		s = who + " qualified the lead"
	case lead.EventDisqualified:
		s = who + " disqualified the lead"
		if ev.Actor == controllerActor {
			s = gateOf(ev, &lead.Lead{}) + " disqualified the lead"
		}
	case lead.EventRouted:
		s = "handed to " + firstNonEmpty(str("owner"), "a rep")
		if t := str("team"); t != "" {
			s += " in team " + t
		}
	case lead.EventTouched, "touch":
		s = who + " made contact"
	case lead.EventAccepted, "accept":
		s = who + " accepted the lead"
	case lead.EventRejected, "reject":
		s = who + " rejected the lead back to marketing"
	case lead.EventWon, "win":
		s = who + " won the deal"
		if a := str("amount"); a != "" {
			if f, err := strconv.ParseFloat(a, 64); err == nil {
				s += " for " + money(f)
			}
		}
	case lead.EventLost, "lose":
		s = who + " lost the deal"
	case lead.EventBreached:
		s = "the response deadline was missed"
	case "sla_at_risk", "at_risk":
		s = "the response deadline is close"
	case lead.EventReassigned:
		s = "reassigned"
		if o := str("owner"); o != "" {
			s += " to " + o
		}
	case lead.EventEscalated:
		s = "escalated to the manager"
	case lead.EventDuplicate:
		s = "linked as a duplicate of lead " + str("duplicateOf")
	case lead.EventDuplicateAttached:
		s = "a duplicate arrived: lead " + str("duplicate")
		if src := str("source"); src != "" {
			s += " from " + src
		}
	case lead.EventDuplicateHandled:
		s = "duplicate handled (" + firstNonEmpty(str("mode"), "?") + ")"
	default:
		s = who + ": " + strings.ReplaceAll(ev.Type, "_", " ")
	}
	if ev.Reason != "" {
		s += " — " + ev.Reason
	}
	return s
}

// money renders 30000 as "30,000" and 1234.5 as "1,234.50".
func money(f float64) string {
	whole := int64(f)
	cents := int64((f-float64(whole))*100 + 0.5)
	if cents == 100 {
		whole, cents = whole+1, 0
	}
	digits := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if cents > 0 {
		fmt.Fprintf(&b, ".%02d", cents)
	}
	return b.String()
}

// countEvents counts the audit entries of one type.
func countEvents(events []store.AuditEvent, typ string) int {
	n := 0
	for _, ev := range events {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

package lead

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The controller's transitions. The controller decides who owns a lead and by when it must be
// handled (the policy's gate, routing rules, the SLA schedule); what that decision does to the lead
// is written here, once, along the same edge table (lifecycle) as the rep activities of Apply. A
// controller edit that bypassed this file could, say, route a lead a rep had already accepted, or
// forget to clear a breach mark and so never breach the next owner's handoff.
//
// Each function takes and returns a Lead by value like Apply and never changes its input (slices
// included). None bumps Version or UpdatedAt: persisting is the store's job. Errors: *FieldError for
// a bad argument, *TransitionError when the lead's stage does not allow the move; its message names
// the current stage, the edges the table allows from it and why this operation needs more.

// Deadlines is the SLA schedule of one handoff, as the controller computed it for the new owner
// (nil fields: no such SLA, or no warning before it).
type Deadlines struct {
	FirstTouchDue, FirstTouchWarn, AcceptanceDue, AcceptanceWarn *time.Time
}

// Why each controller operation starts only from some of the stages its edge leaves.
const (
	notePolicyGate = "a policy's gate decides new leads only (a qualified lead waiting for room keeps " +
		"its qualification; marketing re-qualifies a rejected or disqualified lead)"
	noteQueue     = "only a qualified lead waits for routing"
	noteRoute     = "routing hands a qualified lead to its first owner (a routed or touched lead is reassigned)"
	noteOpen      = "the handoff is open only while the lead is routed or touched"
	noteFirstOpen = "the first-touch handoff is open only while the lead is routed"
)

// QualifyByPolicy records that a new lead passed the qualification gate of policy at `at` (the
// qualify edge): the lead is an MQL from then on, even while it waits for room. Only a new lead:
// a rejected or disqualified lead comes back through marketing's qualify activity (Apply), which
// also clears the previous handoff cycle; a new lead has none to clear.
func QualifyByPolicy(l Lead, policy string, at time.Time) (Lead, error) {
	if err := required("policy", policy); err != nil {
		return l, err
	}
	if err := timeGiven(at); err != nil {
		return l, err
	}
	to, err := follow(l, ActivityQualify, "", notePolicyGate, StageNew)
	if err != nil {
		return l, err
	}
	out := l
	out.Stage, out.Policy, out.QualifiedAt = to, policy, &at
	return out, nil
}

// DisqualifyByPolicy records that a new lead failed the qualification gate of policy (the
// disqualify edge), with the reason marketing reads back. Like a rep's disqualification it leaves
// nobody on the clock: owner, team and SLA deadlines are cleared. Only a new lead: a lead that
// qualified under an earlier version of the policy keeps its place in the queue.
func DisqualifyByPolicy(l Lead, policy, reason string) (Lead, error) {
	if err := required("policy", policy); err != nil {
		return l, err
	}
	if err := checkReason(reason); err != nil {
		return l, err
	}
	to, err := follow(l, ActivityDisqualify, "", notePolicyGate, StageNew)
	if err != nil {
		return l, err
	}
	out := l
	out.Stage, out.Policy, out.Reason = to, policy, reason
	out.Owner, out.Team = "", ""
	out.FirstTouchDue, out.AcceptanceDue = nil, nil
	out.FirstTouchWarn, out.AcceptanceWarn = nil, nil
	return out, nil
}

// Queue records where a qualified lead waits for room: the governing policy, the team ("ns/name")
// and rule that matched it, both empty when no rule matched. The stage stays qualified (no edge is
// taken), so an error unless the lead is qualified: queueing a routed lead would hide its owner's
// handoff, queueing a new one would skip the gate.
func Queue(l Lead, policy, team, rule string) (Lead, error) {
	if err := required("policy", policy); err != nil {
		return l, err
	}
	if l.Stage != StageQualified {
		return l, refuse(l, "", "queue", noteQueue)
	}
	out := l
	out.Policy, out.Team, out.Rule = policy, team, rule
	return out, nil
}

// Route hands a qualified lead to owner in team ("ns/name") by rule of policy at `at` (the route
// edge) and starts the new handoff: the first-touch clock runs from `at`, the deadlines are d, and
// any breach marks of an earlier handoff are cleared so the new one can be breached. A routed or
// touched lead changes hands through Reassign or Escalate instead.
func Route(l Lead, owner, team, policy, rule string, at time.Time, d Deadlines) (Lead, error) {
	for _, f := range []struct{ name, v string }{{"owner", owner}, {"team", team}, {"policy", policy}} {
		if err := required(f.name, f.v); err != nil {
			return l, err
		}
	}
	if err := timeGiven(at); err != nil {
		return l, err
	}
	to, err := follow(l, ActivityRoute, "", noteRoute, StageQualified)
	if err != nil {
		return l, err
	}
	out := l
	out.Stage = to
	out.Owner, out.Team, out.Policy, out.Rule = owner, team, policy, rule
	startHandoff(&out, at, d)
	return out, nil
}

// Reassign takes an open handoff (routed or touched) from its owner and gives it to `to` at `at`
// (the route edge, back to routed): the old owner joins PreviousOwners so routing does not pick them
// again, ReassignmentCount grows (policies bound it), and the new owner gets a fresh handoff with
// deadlines d and no breach marks. Team, policy and rule stay: a reassignment stays in the team.
// The breach that caused it stays counted in BreachCount and LastBreachAt.
func Reassign(l Lead, to string, at time.Time, d Deadlines) (Lead, error) {
	if err := required("owner", to); err != nil {
		return l, err
	}
	if err := timeGiven(at); err != nil {
		return l, err
	}
	next, err := follow(l, ActivityRoute, "reassign", noteOpen, StageRouted, StageTouched)
	if err != nil {
		return l, err
	}
	if to == l.Owner {
		return l, &FieldError{Path: "owner", Message: "the lead already has this owner"}
	}
	out := l
	out.Stage = next
	out.PreviousOwners = withPrevious(l.PreviousOwners, l.Owner)
	out.Owner = to
	out.ReassignmentCount++
	startHandoff(&out, at, d)
	return out, nil
}

// Escalate hands an open handoff (routed or touched: the stages the route edge leaves with an owner)
// to the team's manager; the old owner joins PreviousOwners. Nothing else changes: the stage, the
// deadlines and the breach marks stay, so the breach that caused the escalation stays recorded and
// is not recorded again, and the manager inherits the overdue handoff as it is.
func Escalate(l Lead, manager string) (Lead, error) {
	if err := required("manager", manager); err != nil {
		return l, err
	}
	if _, err := follow(l, ActivityRoute, "escalate", noteOpen, StageRouted, StageTouched); err != nil {
		return l, err
	}
	if manager == l.Owner {
		return l, &FieldError{Path: "manager", Message: "the manager already owns the lead"}
	}
	out := l
	out.PreviousOwners = withPrevious(l.PreviousOwners, l.Owner)
	out.Owner = manager
	return out, nil
}

// RecordBreach records that the current handoff missed its sla deadline, noticed at `at`: the SLA's
// breach mark (FirstTouchBreachedAt or AcceptanceBreachedAt) is set to `at`, BreachCount grows and
// LastBreachAt becomes `at` (when the breach was recorded, not the deadline: see Lead.LastBreachAt;
// it never moves back, should the clock). A breach is recorded once per handoff, and only while the
// handoff is open and overdue, so an error when the lead is past that handoff (first touch: stage
// routed; acceptance: routed or touched), has no such deadline, is not overdue at `at`, or already
// has the breach recorded.
func RecordBreach(l Lead, sla SLAKind, at time.Time) (Lead, error) {
	if !sla.Valid() {
		return l, &FieldError{Path: "sla", Message: fmt.Sprintf("unknown SLA %q (known: %s, %s)", sla, SLAFirstTouch, SLAAcceptance)}
	}
	if err := timeGiven(at); err != nil {
		return l, err
	}
	due, marked, dueField, markField := l.AcceptanceDue, l.AcceptanceBreachedAt, "acceptanceDue", "acceptanceBreachedAt"
	open, note := []Stage{StageRouted, StageTouched}, noteOpen
	if sla == SLAFirstTouch {
		due, marked, dueField, markField = l.FirstTouchDue, l.FirstTouchBreachedAt, "firstTouchDue", "firstTouchBreachedAt"
		open, note = []Stage{StageRouted}, noteFirstOpen
	}
	if !slices.Contains(open, l.Stage) {
		return l, refuse(l, "", fmt.Sprintf("record the %s breach of", sla), note)
	}
	if marked != nil {
		return l, &FieldError{Path: markField, Message: fmt.Sprintf("the %s breach of this handoff is already recorded (at %s)", sla, stamp(*marked))}
	}
	if due == nil {
		return l, &FieldError{Path: dueField, Message: fmt.Sprintf("the handoff has no %s deadline", sla)}
	}
	if due.After(at) {
		return l, &FieldError{Path: dueField, Message: fmt.Sprintf("not breached yet: due %s, after %s", stamp(*due), stamp(at))}
	}
	out := l
	mark, last := at, at
	if sla == SLAFirstTouch {
		out.FirstTouchBreachedAt = &mark
	} else {
		out.AcceptanceBreachedAt = &mark
	}
	out.BreachCount++
	if out.LastBreachAt == nil || at.After(*out.LastBreachAt) {
		out.LastBreachAt = &last
	}
	return out, nil
}

// BreachDue reports whether RecordBreach(l, sla, at) would record a breach: the handoff is open, has
// a deadline for sla at or before at, and its breach is not recorded yet. It lets the SLA pass ask
// the question by the same rules that answer it, instead of restating them.
func BreachDue(l Lead, sla SLAKind, at time.Time) bool {
	_, err := RecordBreach(l, sla, at)
	return err == nil
}

// follow checks a controller operation that moves along edge kind but starts only from the stages
// from, and returns the stage the edge reaches.
func follow(l Lead, kind ActivityKind, op, note string, from ...Stage) (Stage, error) {
	to, err := Next(l.Stage, kind)
	if err != nil || !slices.Contains(from, l.Stage) {
		return "", refuse(l, kind, op, note)
	}
	return to, nil
}

// refuse is the *TransitionError of a controller operation refused in l's stage.
func refuse(l Lead, kind ActivityKind, op, note string) error {
	return &TransitionError{From: l.Stage, Kind: kind, Op: op, Allowed: AllowedTransitions(l.Stage), Note: note}
}

// startHandoff starts a new owner's handoff at `at`: untouched, on the deadlines d, with no breach
// recorded yet.
func startHandoff(l *Lead, at time.Time, d Deadlines) {
	l.RoutedAt, l.TouchedAt = &at, nil
	l.FirstTouchDue, l.FirstTouchWarn = copyTime(d.FirstTouchDue), copyTime(d.FirstTouchWarn)
	l.AcceptanceDue, l.AcceptanceWarn = copyTime(d.AcceptanceDue), copyTime(d.AcceptanceWarn)
	l.FirstTouchBreachedAt, l.AcceptanceBreachedAt = nil, nil
}

// withPrevious returns a new slice: prev and then owner (when there was one). The input's backing
// array is never shared, so appending cannot write into the caller's lead.
func withPrevious(prev []string, owner string) []string {
	out := make([]string, len(prev), len(prev)+1)
	copy(out, prev)
	if owner != "" {
		out = append(out, owner)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// DuplicateReason is the reason AttachDuplicate records on a duplicate of the lead original.
func DuplicateReason(original string) string { return "duplicate of open lead " + original }

// AttachDuplicate records that policy attached a new lead to the open lead it duplicates
// (l.DuplicateOf) instead of routing it (LeadPolicy spec.duplicates Attach). It takes the disqualify
// edge like DisqualifyByPolicy, with the reason DuplicateReason: the lead leaves the routing queue
// and goes back to marketing linked to its original, and nobody is on the clock for it; marketing
// re-qualifies it (qualify) if the match was wrong. Only a new lead that is a duplicate.
func AttachDuplicate(l Lead, policy string) (Lead, error) {
	if err := required("duplicateOf", l.DuplicateOf); err != nil {
		return l, err
	}
	return DisqualifyByPolicy(l, policy, DuplicateReason(l.DuplicateOf))
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &FieldError{Path: field, Message: "required"}
	}
	return nil
}

func timeGiven(at time.Time) error {
	if at.IsZero() {
		return &FieldError{Path: "at", Message: "time of the transition is missing"}
	}
	return nil
}

// checkReason applies the rule of a rep's disqualification: a reason goes back to marketing, so it
// is required, and bounded.
func checkReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return &FieldError{Path: "reason", Message: "a disqualification needs a reason"}
	}
	if len(reason) > MaxReasonLength {
		return &FieldError{Path: "reason", Message: fmt.Sprintf("longer than %d bytes", MaxReasonLength)}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

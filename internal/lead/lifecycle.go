package lead

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/fielderr"
)

// ActivityKind is something marketing, a rep or the controller does to a lead. Each kind moves a lead
// along one edge of the lifecycle (or keeps it where it is, like a second touch).
type ActivityKind string

const (
	// ActivityQualify: marketing hands the lead over (an MQL). Also re-qualifies a rejected or
	// disqualified lead, which starts a fresh handoff cycle.
	ActivityQualify ActivityKind = "qualify"
	// ActivityDisqualify: marketing decides the lead is not worth handing over; needs a reason.
	ActivityDisqualify ActivityKind = "disqualify"
	// ActivityRoute: the controller assigns an owner and a team, or reassigns after an SLA breach.
	// It carries an owner and SLA deadlines, which no activity does: only the controller takes this
	// edge, through Route and Reassign (Escalate hands over along it too), written with store.Update.
	// Apply refuses it.
	ActivityRoute  ActivityKind = "route"
	ActivityTouch  ActivityKind = "touch"
	ActivityAccept ActivityKind = "accept"
	// ActivityReject: sales refuses the lead; needs a reason, which goes back to marketing.
	ActivityReject ActivityKind = "reject"
	// ActivityWin closes the deal; needs an amount > 0.
	ActivityWin  ActivityKind = "win"
	ActivityLose ActivityKind = "lose"
)

// ActivityKinds lists every activity kind in lifecycle order.
var ActivityKinds = []ActivityKind{
	ActivityQualify, ActivityDisqualify, ActivityRoute, ActivityTouch,
	ActivityAccept, ActivityReject, ActivityWin, ActivityLose,
}

// Transition is one edge of the lifecycle: doing Kind moves the lead to stage To.
type Transition struct {
	Kind ActivityKind
	To   Stage
}

// lifecycle is the whole rule book. The order of each list is the order error messages use.
//
// What "a rejection returns the lead to marketing" means here: the lead goes to stage rejected and
// loses its owner and its SLA deadlines (nobody in sales is on the clock for it any more);
// the governing policy and the reason stay, so marketing's queue is "stage = rejected" per policy.
// From there marketing either re-qualifies it (qualify → qualified, and routing starts over) or
// disqualifies it for good. Disqualified leads can likewise be re-qualified when new facts arrive.
var lifecycle = map[Stage][]Transition{
	StageNew:          {{ActivityQualify, StageQualified}, {ActivityDisqualify, StageDisqualified}},
	StageQualified:    {{ActivityRoute, StageRouted}, {ActivityDisqualify, StageDisqualified}},
	StageDisqualified: {{ActivityQualify, StageQualified}},
	// Routing a routed or touched lead again is a reassignment (SLA breach or manual).
	StageRouted:   {{ActivityTouch, StageTouched}, {ActivityRoute, StageRouted}},
	StageTouched:  {{ActivityTouch, StageTouched}, {ActivityAccept, StageAccepted}, {ActivityReject, StageRejected}, {ActivityRoute, StageRouted}},
	StageAccepted: {{ActivityTouch, StageAccepted}, {ActivityWin, StageWon}, {ActivityLose, StageLost}},
	StageRejected: {{ActivityQualify, StageQualified}, {ActivityDisqualify, StageDisqualified}},
	StageWon:      nil,
	StageLost:     nil,
}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool {
	_, ok := lifecycle[s]
	return ok
}

// Valid reports whether k is a known activity kind.
func (k ActivityKind) Valid() bool {
	for _, known := range ActivityKinds {
		if k == known {
			return true
		}
	}
	return false
}

// AllowedTransitions returns the edges leaving stage from (nil for final or unknown stages).
func AllowedTransitions(from Stage) []Transition {
	return append([]Transition(nil), lifecycle[from]...)
}

// Next returns the stage a lead in stage from reaches by doing kind, or a *TransitionError.
func Next(from Stage, kind ActivityKind) (Stage, error) {
	for _, t := range lifecycle[from] {
		if t.Kind == kind {
			return t.To, nil
		}
	}
	return "", &TransitionError{From: from, Kind: kind, Allowed: AllowedTransitions(from)}
}

// Allowed reports whether kind may be done to l now: nil, or a *TransitionError naming the current
// stage and the allowed next ones.
func Allowed(l *Lead, kind ActivityKind) error {
	_, err := Next(l.Stage, kind)
	return err
}

// CheckStageChange validates a direct stage change (store.Update): staying put is always allowed,
// moving is allowed along any edge of the lifecycle.
func CheckStageChange(from, to Stage) error {
	if !to.Valid() {
		return &FieldError{Path: "stage", Message: fmt.Sprintf("unknown stage %q", to)}
	}
	if from == to {
		return nil
	}
	for _, t := range lifecycle[from] {
		if t.To == to {
			return nil
		}
	}
	return &TransitionError{From: from, To: to, Allowed: AllowedTransitions(from)}
}

// Action is one activity with its arguments, as the pure lifecycle sees it.
type Action struct {
	Kind   ActivityKind
	Reason string
	Amount float64
	At     time.Time
}

// MaxReasonLength bounds a reason so a misbehaving client cannot bloat the audit log.
const MaxReasonLength = 1000

// Validate checks the arguments of an action, independently of the lead's stage.
func (a Action) Validate() error {
	if !a.Kind.Valid() {
		return &FieldError{Path: "kind", Message: fmt.Sprintf("unknown activity %q (known: %s)", a.Kind, joinKinds(ActivityKinds))}
	}
	if len(a.Reason) > MaxReasonLength {
		return &FieldError{Path: "reason", Message: fmt.Sprintf("longer than %d bytes", MaxReasonLength)}
	}
	needsReason := a.Kind == ActivityReject || a.Kind == ActivityDisqualify
	if needsReason && strings.TrimSpace(a.Reason) == "" {
		return &FieldError{Path: "reason", Message: fmt.Sprintf("a %s needs a reason", a.Kind)}
	}
	if math.IsNaN(a.Amount) || math.IsInf(a.Amount, 0) {
		return &FieldError{Path: "amount", Message: "must be a finite number"}
	}
	switch {
	case a.Kind == ActivityWin && a.Amount <= 0:
		return &FieldError{Path: "amount", Message: "a win needs an amount greater than 0"}
	case a.Kind != ActivityWin && a.Amount != 0:
		return &FieldError{Path: "amount", Message: fmt.Sprintf("only a win carries an amount, not a %s", a.Kind)}
	}
	if a.At.IsZero() {
		return &FieldError{Path: "at", Message: "time of the activity is missing"}
	}
	return nil
}

// Apply returns the lead as it is after action a, without touching l. It does not bump the version or
// UpdatedAt: persisting is the store's job. Errors: *FieldError for bad arguments, *TransitionError
// when the lifecycle forbids the action.
//
// Apply is the rep activities' writer (the store's Apply). A route is refused with a *FieldError:
// it needs an owner, a team and deadlines that an Action does not carry, and taking the edge without
// them would leave a routed lead nobody owns; the controller routes with Route and Reassign.
func Apply(l Lead, a Action) (Lead, error) {
	if a.Kind == ActivityRoute {
		return l, &FieldError{Path: "kind", Message: "route is not an activity: routing assigns an owner, a team and SLA deadlines, which only the controller does (written with Update)"}
	}
	if err := a.Validate(); err != nil {
		return l, err
	}
	to, err := Next(l.Stage, a.Kind)
	if err != nil {
		return l, err
	}
	at := a.At
	out := l
	out.Stage = to
	switch a.Kind {
	case ActivityQualify:
		// A (re-)qualification starts a new handoff cycle: the previous cycle's reason and stage
		// times would otherwise make the SLA clock think the lead was already touched or accepted.
		// The audit log keeps the history.
		out.QualifiedAt = &at
		out.Reason = ""
		out.RoutedAt, out.TouchedAt, out.AcceptedAt, out.RejectedAt = nil, nil, nil, nil
		out.FirstTouchDue, out.AcceptanceDue = nil, nil
		out.FirstTouchWarn, out.AcceptanceWarn = nil, nil
		out.FirstTouchBreachedAt, out.AcceptanceBreachedAt = nil, nil
	case ActivityDisqualify:
		out.Reason = a.Reason
		out.Owner, out.Team = "", ""
		out.FirstTouchDue, out.AcceptanceDue = nil, nil
		out.FirstTouchWarn, out.AcceptanceWarn = nil, nil
	case ActivityTouch:
		// TouchedAt is the first touch (what the SLA measures); later touches are in the audit log.
		if out.TouchedAt == nil {
			out.TouchedAt = &at
		}
	case ActivityAccept:
		out.AcceptedAt = &at
	case ActivityReject:
		out.RejectedAt = &at
		out.Reason = a.Reason
		// The team stays: marketing wants to know which team turned the lead down, and the team's
		// close-out figures count the rejection.
		out.Owner = ""
		out.FirstTouchDue, out.AcceptanceDue = nil, nil
		out.FirstTouchWarn, out.AcceptanceWarn = nil, nil
	case ActivityWin:
		out.ClosedAt = &at
		out.Amount = a.Amount
	case ActivityLose:
		out.ClosedAt = &at
		out.Reason = a.Reason
	}
	return out, nil
}

// ErrInvalid is wrapped by every *FieldError, so callers can map it to a 4xx with errors.Is.
var ErrInvalid = fielderr.ErrInvalid

// FieldError is a validation error on one field of an input (package fielderr's one field error;
// Path is the field's JSON name). Messages never quote personal data.
type FieldError = fielderr.Error

// TransitionError is returned when the lifecycle forbids an activity (Kind set) or a direct stage
// change (To set), or one of the controller's operations (Op set: see transitions.go). Its message
// names the current stage and what is allowed from it.
type TransitionError struct {
	From Stage
	// Kind is the edge that was asked for; empty for a direct stage change, and for a controller
	// operation that takes no edge (queueing, recording a breach).
	Kind ActivityKind
	To   Stage
	// Op names a controller operation in the message ("reassign", "escalate", …) where it is not
	// the edge's own name; Note says why that operation starts from fewer stages than its edge.
	Op      string
	Note    string
	Allowed []Transition
}

func (e *TransitionError) Error() string {
	var b strings.Builder
	switch {
	case e.Op != "":
		fmt.Fprintf(&b, "cannot %s a lead in stage %q", e.Op, e.From)
	case e.Kind != "":
		fmt.Fprintf(&b, "cannot %s a lead in stage %q", e.Kind, e.From)
	default:
		fmt.Fprintf(&b, "cannot move a lead from stage %q to %q", e.From, e.To)
	}
	switch {
	case !e.From.Valid():
		fmt.Fprintf(&b, ": unknown stage")
	case len(e.Allowed) == 0:
		fmt.Fprintf(&b, ": %q is final, nothing is allowed from it", e.From)
	default:
		parts := make([]string, len(e.Allowed))
		for i, t := range e.Allowed {
			parts[i] = fmt.Sprintf("%s → %s", t.Kind, t.To)
		}
		fmt.Fprintf(&b, "; allowed from %q: %s", e.From, strings.Join(parts, ", "))
	}
	if e.Note != "" {
		b.WriteString("; " + e.Note)
	}
	return b.String()
}

func joinKinds(ks []ActivityKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

package lead

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The stored audit log depends on these strings: renaming a constant is fine, changing a string is not.
func TestEventNamesAreStable(t *testing.T) {
	for got, want := range map[string]string{
		EventCreated: "created", EventUpdated: "updated", EventQualified: "qualified",
		EventDisqualified: "disqualified", EventQueued: "queued", EventRouted: "routed",
		EventTouched: "touched", EventAccepted: "accepted", EventRejected: "rejected", EventWon: "won",
		EventLost: "lost", EventBreached: "breached", EventReassigned: "reassigned", EventEscalated: "escalated",
		string(SLAFirstTouch): "first_touch", string(SLAAcceptance): "acceptance",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

var (
	t0       = time.Date(2027, 2, 1, 14, 0, 0, 0, time.UTC)
	ftDue    = t0.Add(time.Hour)
	ftWarn   = t0.Add(45 * time.Minute)
	accDue   = t0.Add(24 * time.Hour)
	accWarn  = t0.Add(23 * time.Hour)
	later    = t0.Add(2 * time.Hour)  // first touch overdue, acceptance not
	muchLate = t0.Add(25 * time.Hour) // both overdue
	fresh    = Deadlines{FirstTouchDue: ptr(later.Add(time.Hour)), AcceptanceDue: ptr(later.Add(24 * time.Hour)),
		AcceptanceWarn: ptr(later.Add(23 * time.Hour))}
)

func ptr(t time.Time) *time.Time { return &t }

// fixtures returns one lead per stage, the routed ones mid-handoff with a previous owner whose slice
// has spare capacity (so an append that aliases it would show).
func fixtures() map[Stage]Lead {
	base := Lead{ID: "0190d4c8-0000-7000-8000-000000000001", Company: "Acme", Score: 70, CreatedAt: t0.Add(-time.Hour)}
	out := map[Stage]Lead{}
	n := base
	n.Stage = StageNew
	out[StageNew] = n
	q := base
	q.Stage, q.Policy, q.QualifiedAt = StageQualified, "default/inbound", ptr(t0.Add(-time.Minute))
	out[StageQualified] = q
	r := q
	prev := make([]string, 1, 4)
	prev[0] = "sdr-0"
	r.Stage, r.Owner, r.Team, r.Rule, r.RoutedAt = StageRouted, "sdr-1", "default/sdr", "everyone-else", ptr(t0)
	r.FirstTouchDue, r.FirstTouchWarn, r.AcceptanceDue, r.AcceptanceWarn = ptr(ftDue), ptr(ftWarn), ptr(accDue), ptr(accWarn)
	r.PreviousOwners, r.ReassignmentCount, r.BreachCount, r.LastBreachAt = prev, 1, 1, ptr(t0.Add(-3*time.Hour))
	out[StageRouted] = r
	tc := r
	tc.Stage, tc.TouchedAt = StageTouched, ptr(t0.Add(10*time.Minute))
	out[StageTouched] = tc
	a := tc
	a.Stage, a.AcceptedAt = StageAccepted, ptr(t0.Add(time.Hour))
	out[StageAccepted] = a
	rj := tc
	rj.Stage, rj.Owner, rj.Reason, rj.RejectedAt = StageRejected, "", "student", ptr(t0.Add(time.Hour))
	rj.FirstTouchDue, rj.FirstTouchWarn, rj.AcceptanceDue, rj.AcceptanceWarn = nil, nil, nil, nil
	out[StageRejected] = rj
	d := n
	d.Stage, d.Reason = StageDisqualified, "score below 60"
	out[StageDisqualified] = d
	w := a
	w.Stage, w.Amount, w.ClosedAt = StageWon, 30000, ptr(t0.Add(48*time.Hour))
	out[StageWon] = w
	lo := a
	lo.Stage, lo.ClosedAt = StageLost, ptr(t0.Add(48*time.Hour))
	out[StageLost] = lo
	return out
}

// deepCopy copies every pointer and slice of l, so a later comparison catches writes through them.
func deepCopy(l Lead) Lead {
	c := l
	if l.PreviousOwners != nil {
		c.PreviousOwners = append(make([]string, 0, cap(l.PreviousOwners)), l.PreviousOwners...)
	}
	for _, f := range []**time.Time{&c.QualifiedAt, &c.RoutedAt, &c.TouchedAt, &c.AcceptedAt, &c.RejectedAt,
		&c.ClosedAt, &c.FirstTouchDue, &c.AcceptanceDue, &c.FirstTouchWarn, &c.AcceptanceWarn,
		&c.FirstTouchBreachedAt, &c.AcceptanceBreachedAt, &c.LastBreachAt} {
		if *f != nil {
			*f = ptr(**f)
		}
	}
	return c
}

func TestControllerTransitions(t *testing.T) {
	fx := fixtures()
	with := func(st Stage, f func(*Lead)) Lead {
		l := deepCopy(fx[st])
		f(&l)
		return l
	}
	// breached is a routed lead whose first-touch breach is recorded.
	breached := with(StageRouted, func(l *Lead) { l.FirstTouchBreachedAt, l.BreachCount, l.LastBreachAt = ptr(later), 2, ptr(later) })

	tests := []struct {
		name string
		in   Lead
		do   func(Lead) (Lead, error)
		want func(*Lead) // edits a copy of in into the expected result; nil when an error is expected
		err  string      // an error's full message, or "field NAME" for a *FieldError on NAME
	}{
		// QualifyByPolicy
		{"qualify: new → qualified", fx[StageNew],
			func(l Lead) (Lead, error) { return QualifyByPolicy(l, "default/inbound", t0) },
			func(l *Lead) { l.Stage, l.Policy, l.QualifiedAt = StageQualified, "default/inbound", ptr(t0) }, ""},
		{"qualify: rejected is marketing's to re-qualify", fx[StageRejected],
			func(l Lead) (Lead, error) { return QualifyByPolicy(l, "default/inbound", t0) }, nil,
			`cannot qualify a lead in stage "rejected"; allowed from "rejected": qualify → qualified, disqualify → disqualified; ` + notePolicyGate},
		{"qualify: routed has no qualify edge", fx[StageRouted],
			func(l Lead) (Lead, error) { return QualifyByPolicy(l, "default/inbound", t0) }, nil,
			`cannot qualify a lead in stage "routed"; allowed from "routed": touch → touched, route → routed; ` + notePolicyGate},
		{"qualify: no policy", fx[StageNew],
			func(l Lead) (Lead, error) { return QualifyByPolicy(l, " ", t0) }, nil, "field policy"},
		{"qualify: no time", fx[StageNew],
			func(l Lead) (Lead, error) { return QualifyByPolicy(l, "default/inbound", time.Time{}) }, nil, "field at"},

		// DisqualifyByPolicy
		{"disqualify: new → disqualified", with(StageNew, func(l *Lead) { l.Owner, l.Team, l.FirstTouchDue = "stray", "default/sdr", ptr(ftDue) }),
			func(l Lead) (Lead, error) { return DisqualifyByPolicy(l, "default/inbound", "score below 60") },
			func(l *Lead) {
				l.Stage, l.Policy, l.Reason, l.Owner, l.Team, l.FirstTouchDue = StageDisqualified, "default/inbound", "score below 60", "", "", nil
			}, ""},
		{"disqualify: a waiting qualified lead keeps its qualification", fx[StageQualified],
			func(l Lead) (Lead, error) { return DisqualifyByPolicy(l, "default/inbound", "score below 60") }, nil,
			`cannot disqualify a lead in stage "qualified"; allowed from "qualified": route → routed, disqualify → disqualified; ` + notePolicyGate},
		{"disqualify: won is final", fx[StageWon],
			func(l Lead) (Lead, error) { return DisqualifyByPolicy(l, "default/inbound", "score below 60") }, nil,
			`cannot disqualify a lead in stage "won": "won" is final, nothing is allowed from it; ` + notePolicyGate},
		{"disqualify: no reason", fx[StageNew],
			func(l Lead) (Lead, error) { return DisqualifyByPolicy(l, "default/inbound", "") }, nil, "field reason"},
		{"disqualify: reason too long", fx[StageNew],
			func(l Lead) (Lead, error) {
				return DisqualifyByPolicy(l, "default/inbound", strings.Repeat("x", MaxReasonLength+1))
			}, nil, "field reason"},

		// Queue
		{"queue: qualified waits for a team", fx[StageQualified],
			func(l Lead) (Lead, error) { return Queue(l, "default/inbound", "default/sdr", "everyone-else") },
			func(l *Lead) { l.Team, l.Rule = "default/sdr", "everyone-else" }, ""},
		{"queue: no rule matched", with(StageQualified, func(l *Lead) { l.Team, l.Rule = "default/sdr", "everyone-else" }),
			func(l Lead) (Lead, error) { return Queue(l, "default/other", "", "") },
			func(l *Lead) { l.Policy, l.Team, l.Rule = "default/other", "", "" }, ""},
		{"queue: new must pass the gate first", fx[StageNew],
			func(l Lead) (Lead, error) { return Queue(l, "default/inbound", "default/sdr", "everyone-else") }, nil,
			`cannot queue a lead in stage "new"; allowed from "new": qualify → qualified, disqualify → disqualified; ` + noteQueue},
		{"queue: routed has an owner", fx[StageRouted],
			func(l Lead) (Lead, error) { return Queue(l, "default/inbound", "default/sdr", "everyone-else") }, nil,
			`cannot queue a lead in stage "routed"; allowed from "routed": touch → touched, route → routed; ` + noteQueue},

		// Route
		{"route: qualified → routed", with(StageQualified, func(l *Lead) { l.FirstTouchBreachedAt = ptr(t0) }),
			func(l Lead) (Lead, error) {
				return Route(l, "sdr-2", "default/sdr", "default/inbound", "everyone-else", later, fresh)
			},
			func(l *Lead) {
				l.Stage, l.Owner, l.Team, l.Rule, l.RoutedAt = StageRouted, "sdr-2", "default/sdr", "everyone-else", ptr(later)
				l.FirstTouchDue, l.FirstTouchWarn, l.AcceptanceDue, l.AcceptanceWarn = fresh.FirstTouchDue, nil, fresh.AcceptanceDue, fresh.AcceptanceWarn
				l.FirstTouchBreachedAt = nil
			}, ""},
		{"route: without SLA", fx[StageQualified],
			func(l Lead) (Lead, error) {
				return Route(l, "sdr-2", "default/sdr", "default/inbound", "everyone-else", later, Deadlines{})
			},
			func(l *Lead) {
				l.Stage, l.Owner, l.Team, l.Rule, l.RoutedAt = StageRouted, "sdr-2", "default/sdr", "everyone-else", ptr(later)
			}, ""},
		{"route: routed is reassigned, not routed", fx[StageRouted],
			func(l Lead) (Lead, error) {
				return Route(l, "sdr-2", "default/sdr", "default/inbound", "everyone-else", later, fresh)
			}, nil,
			`cannot route a lead in stage "routed"; allowed from "routed": touch → touched, route → routed; ` + noteRoute},
		{"route: new skips the gate", fx[StageNew],
			func(l Lead) (Lead, error) {
				return Route(l, "sdr-2", "default/sdr", "default/inbound", "everyone-else", later, fresh)
			}, nil,
			`cannot route a lead in stage "new"; allowed from "new": qualify → qualified, disqualify → disqualified; ` + noteRoute},
		{"route: no owner", fx[StageQualified],
			func(l Lead) (Lead, error) { return Route(l, "", "default/sdr", "default/inbound", "r", later, fresh) }, nil, "field owner"},
		{"route: no team", fx[StageQualified],
			func(l Lead) (Lead, error) { return Route(l, "sdr-2", "", "default/inbound", "r", later, fresh) }, nil, "field team"},

		// Reassign
		{"reassign: routed → routed", breached,
			func(l Lead) (Lead, error) { return Reassign(l, "sdr-2", later, fresh) },
			func(l *Lead) {
				l.Owner, l.PreviousOwners, l.ReassignmentCount, l.RoutedAt = "sdr-2", []string{"sdr-0", "sdr-1"}, 2, ptr(later)
				l.FirstTouchDue, l.FirstTouchWarn, l.AcceptanceDue, l.AcceptanceWarn = fresh.FirstTouchDue, nil, fresh.AcceptanceDue, fresh.AcceptanceWarn
				l.FirstTouchBreachedAt = nil // BreachCount and LastBreachAt stay
			}, ""},
		{"reassign: touched → routed, untouched again", with(StageTouched, func(l *Lead) { l.AcceptanceBreachedAt = ptr(muchLate) }),
			func(l Lead) (Lead, error) { return Reassign(l, "sdr-2", muchLate, Deadlines{}) },
			func(l *Lead) {
				l.Stage, l.TouchedAt, l.Owner, l.PreviousOwners = StageRouted, nil, "sdr-2", []string{"sdr-0", "sdr-1"}
				l.ReassignmentCount, l.RoutedAt = 2, ptr(muchLate)
				l.FirstTouchDue, l.FirstTouchWarn, l.AcceptanceDue, l.AcceptanceWarn, l.AcceptanceBreachedAt = nil, nil, nil, nil, nil
			}, ""},
		{"reassign: accepted is past the handoff", fx[StageAccepted],
			func(l Lead) (Lead, error) { return Reassign(l, "sdr-2", later, fresh) }, nil,
			`cannot reassign a lead in stage "accepted"; allowed from "accepted": touch → accepted, win → won, lose → lost; ` + noteOpen},
		{"reassign: qualified has nobody to take it from", fx[StageQualified],
			func(l Lead) (Lead, error) { return Reassign(l, "sdr-2", later, fresh) }, nil,
			`cannot reassign a lead in stage "qualified"; allowed from "qualified": route → routed, disqualify → disqualified; ` + noteOpen},
		{"reassign: to the current owner", fx[StageRouted],
			func(l Lead) (Lead, error) { return Reassign(l, "sdr-1", later, fresh) }, nil, "field owner"},
		{"reassign: to nobody", fx[StageRouted],
			func(l Lead) (Lead, error) { return Reassign(l, "", later, fresh) }, nil, "field owner"},

		// Escalate
		{"escalate: routed, deadlines and breach marks kept", breached,
			func(l Lead) (Lead, error) { return Escalate(l, "sdr-manager") },
			func(l *Lead) { l.Owner, l.PreviousOwners = "sdr-manager", []string{"sdr-0", "sdr-1"} }, ""},
		{"escalate: touched stays touched", fx[StageTouched],
			func(l Lead) (Lead, error) { return Escalate(l, "sdr-manager") },
			func(l *Lead) { l.Owner, l.PreviousOwners = "sdr-manager", []string{"sdr-0", "sdr-1"} }, ""},
		{"escalate: rejected", fx[StageRejected],
			func(l Lead) (Lead, error) { return Escalate(l, "sdr-manager") }, nil,
			`cannot escalate a lead in stage "rejected"; allowed from "rejected": qualify → qualified, disqualify → disqualified; ` + noteOpen},
		{"escalate: lost is final", fx[StageLost],
			func(l Lead) (Lead, error) { return Escalate(l, "sdr-manager") }, nil,
			`cannot escalate a lead in stage "lost": "lost" is final, nothing is allowed from it; ` + noteOpen},
		{"escalate: qualified (route edge, no owner)", fx[StageQualified],
			func(l Lead) (Lead, error) { return Escalate(l, "sdr-manager") }, nil,
			`cannot escalate a lead in stage "qualified"; allowed from "qualified": route → routed, disqualify → disqualified; ` + noteOpen},
		{"escalate: the manager already owns it", fx[StageRouted],
			func(l Lead) (Lead, error) { return Escalate(l, "sdr-1") }, nil, "field manager"},
		{"escalate: no manager", fx[StageRouted],
			func(l Lead) (Lead, error) { return Escalate(l, "") }, nil, "field manager"},

		// RecordBreach
		{"breach: first touch overdue", fx[StageRouted],
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAFirstTouch, later) },
			func(l *Lead) { l.FirstTouchBreachedAt, l.BreachCount, l.LastBreachAt = ptr(later), 2, ptr(later) }, ""},
		{"breach: exactly at the deadline", fx[StageRouted],
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAFirstTouch, ftDue) },
			func(l *Lead) { l.FirstTouchBreachedAt, l.BreachCount, l.LastBreachAt = ptr(ftDue), 2, ptr(ftDue) }, ""},
		{"breach: acceptance overdue while touched", fx[StageTouched],
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAAcceptance, muchLate) },
			func(l *Lead) { l.AcceptanceBreachedAt, l.BreachCount, l.LastBreachAt = ptr(muchLate), 2, ptr(muchLate) }, ""},
		{"breach: acceptance after the first-touch breach", breached,
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAAcceptance, muchLate) },
			func(l *Lead) { l.AcceptanceBreachedAt, l.BreachCount, l.LastBreachAt = ptr(muchLate), 3, ptr(muchLate) }, ""},
		{"breach: LastBreachAt never moves back", with(StageRouted, func(l *Lead) { l.LastBreachAt = ptr(muchLate) }),
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAFirstTouch, later) },
			func(l *Lead) { l.FirstTouchBreachedAt, l.BreachCount = ptr(later), 2 }, ""},
		{"breach: not yet due", fx[StageRouted],
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAFirstTouch, ftDue.Add(-time.Second)) }, nil, "field firstTouchDue"},
		{"breach: already recorded", breached,
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAFirstTouch, muchLate) }, nil, "field firstTouchBreachedAt"},
		{"breach: no deadline", with(StageRouted, func(l *Lead) { l.AcceptanceDue = nil }),
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAAcceptance, muchLate) }, nil, "field acceptanceDue"},
		{"breach: first touch closed once touched", fx[StageTouched],
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAFirstTouch, muchLate) }, nil,
			`cannot record the first_touch breach of a lead in stage "touched"; allowed from "touched": touch → touched, accept → accepted, reject → rejected, route → routed; ` + noteFirstOpen},
		{"breach: acceptance closed once accepted", fx[StageAccepted],
			func(l Lead) (Lead, error) { return RecordBreach(l, SLAAcceptance, muchLate) }, nil,
			`cannot record the acceptance breach of a lead in stage "accepted"; allowed from "accepted": touch → accepted, win → won, lose → lost; ` + noteOpen},
		{"breach: unknown SLA", fx[StageRouted],
			func(l Lead) (Lead, error) { return RecordBreach(l, "reply", muchLate) }, nil, "field sla"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deepCopy(tt.in)
			in := tt.in
			out, err := tt.do(in)
			if !reflect.DeepEqual(in, before) || !reflect.DeepEqual(in.PreviousOwners[:cap(in.PreviousOwners)], before.PreviousOwners[:cap(before.PreviousOwners)]) {
				t.Fatalf("the input changed:\n got %+v\nwant %+v", in, before)
			}
			if tt.want == nil {
				checkErr(t, err, tt.err)
				if !reflect.DeepEqual(out, before) {
					t.Fatalf("an error returned a changed lead: %+v", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := deepCopy(tt.in)
			tt.want(&want)
			if !reflect.DeepEqual(out, want) {
				t.Fatalf("\n got %+v\nwant %+v", out, want)
			}
		})
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if field, ok := strings.CutPrefix(want, "field "); ok {
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != field || !errors.Is(err, ErrInvalid) {
			t.Fatalf("err = %v, want a *FieldError on %s", err, field)
		}
		return
	}
	var te *TransitionError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *TransitionError", err)
	}
	if err.Error() != want {
		t.Fatalf("message\n %s\nwant\n %s", err, want)
	}
}

// Reassigning twice from the same lead must give two independent histories: an append that shared
// the input's backing array would let the second write over the first.
func TestPreviousOwnersNeverAliased(t *testing.T) {
	in := fixtures()[StageRouted] // PreviousOwners: len 1, cap 4
	a, err := Reassign(in, "sdr-2", later, fresh)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Escalate(in, "sdr-manager")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.PreviousOwners, []string{"sdr-0", "sdr-1"}) || !slices.Equal(b.PreviousOwners, []string{"sdr-0", "sdr-1"}) {
		t.Fatalf("a %v, b %v", a.PreviousOwners, b.PreviousOwners)
	}
	a.PreviousOwners[0] = "changed"
	if b.PreviousOwners[0] != "sdr-0" || in.PreviousOwners[0] != "sdr-0" {
		t.Fatal("results share PreviousOwners")
	}
	if spare := in.PreviousOwners[:2]; spare[1] != "" {
		t.Fatalf("the input's spare capacity was written: %v", spare)
	}
	// Deadlines are copied too: the caller may reuse its schedule.
	if a.FirstTouchDue == fresh.FirstTouchDue || !a.FirstTouchDue.Equal(*fresh.FirstTouchDue) {
		t.Fatal("Reassign kept the caller's deadline pointer")
	}
}

// Apply is the rep activities' writer: the route edge is the controller's (Route, Reassign).
func TestApplyRefusesRoute(t *testing.T) {
	for _, st := range []Stage{StageQualified, StageRouted, StageTouched} {
		_, err := Apply(fixtures()[st], Action{Kind: ActivityRoute, At: later})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != "kind" || !strings.Contains(err.Error(), "only the controller") {
			t.Errorf("%s: err = %v", st, err)
		}
	}
}

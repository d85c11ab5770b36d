package lead

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// legal is the expected rule book, written out independently of the lifecycle map; every pair not
// listed here must be refused.
var legal = map[Stage]map[ActivityKind]Stage{
	StageNew:          {ActivityQualify: StageQualified, ActivityDisqualify: StageDisqualified},
	StageQualified:    {ActivityRoute: StageRouted, ActivityDisqualify: StageDisqualified},
	StageDisqualified: {ActivityQualify: StageQualified},
	StageRouted:       {ActivityTouch: StageTouched, ActivityRoute: StageRouted},
	StageTouched:      {ActivityTouch: StageTouched, ActivityAccept: StageAccepted, ActivityReject: StageRejected, ActivityRoute: StageRouted},
	StageAccepted:     {ActivityTouch: StageAccepted, ActivityWin: StageWon, ActivityLose: StageLost},
	StageRejected:     {ActivityQualify: StageQualified, ActivityDisqualify: StageDisqualified},
	StageWon:          {},
	StageLost:         {},
}

func TestNextEveryPair(t *testing.T) {
	for _, from := range Stages {
		for _, kind := range ActivityKinds {
			want, ok := legal[from][kind]
			t.Run(string(from)+"/"+string(kind), func(t *testing.T) {
				got, err := Next(from, kind)
				if ok {
					if err != nil || got != want {
						t.Fatalf("Next = %q, %v; want %q", got, err, want)
					}
					if err := Allowed(&Lead{Stage: from}, kind); err != nil {
						t.Fatalf("Allowed = %v", err)
					}
					return
				}
				var te *TransitionError
				if !errors.As(err, &te) {
					t.Fatalf("Next = %q, %v; want a *TransitionError", got, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, `"`+string(from)+`"`) || !strings.Contains(msg, string(kind)) {
					t.Errorf("message %q does not name the stage and the activity", msg)
				}
				for k, to := range legal[from] {
					if !strings.Contains(msg, string(k)+" → "+string(to)) {
						t.Errorf("message %q does not name allowed %s → %s", msg, k, to)
					}
				}
				if len(legal[from]) == 0 && !strings.Contains(msg, "final") {
					t.Errorf("message %q does not say the stage is final", msg)
				}
				if err := Allowed(&Lead{Stage: from}, kind); err == nil {
					t.Fatal("Allowed accepted an illegal pair")
				}
			})
		}
	}
}

func TestCheckStageChangeEveryPair(t *testing.T) {
	for _, from := range Stages {
		for _, to := range Stages {
			ok := from == to
			for _, next := range legal[from] {
				ok = ok || next == to
			}
			err := CheckStageChange(from, to)
			if ok != (err == nil) {
				t.Errorf("%s → %s: err = %v, want allowed=%v", from, to, err, ok)
			}
			var te *TransitionError
			if err != nil && (!errors.As(err, &te) || !strings.Contains(err.Error(), `"`+string(from)+`"`)) {
				t.Errorf("%s → %s: %v is not a TransitionError naming the stage", from, to, err)
			}
		}
	}
	if err := CheckStageChange(StageNew, "bogus"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown stage: %v, want ErrInvalid", err)
	}
}

func TestActionValidate(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		a     Action
		field string // "" = valid
	}{
		{"touch", Action{Kind: ActivityTouch, At: at}, ""},
		{"reject with reason", Action{Kind: ActivityReject, Reason: "no budget", At: at}, ""},
		{"reject without reason", Action{Kind: ActivityReject, At: at}, "reason"},
		{"reject with blank reason", Action{Kind: ActivityReject, Reason: "  ", At: at}, "reason"},
		{"disqualify without reason", Action{Kind: ActivityDisqualify, At: at}, "reason"},
		{"reason too long", Action{Kind: ActivityLose, Reason: strings.Repeat("x", MaxReasonLength+1), At: at}, "reason"},
		{"win with amount", Action{Kind: ActivityWin, Amount: 30000, At: at}, ""},
		{"win without amount", Action{Kind: ActivityWin, At: at}, "amount"},
		{"win with negative amount", Action{Kind: ActivityWin, Amount: -1, At: at}, "amount"},
		{"touch with amount", Action{Kind: ActivityTouch, Amount: 5, At: at}, "amount"},
		{"lose without reason", Action{Kind: ActivityLose, At: at}, ""},
		{"unknown kind", Action{Kind: "poke", At: at}, "kind"},
		{"no time", Action{Kind: ActivityTouch}, "at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Path != tt.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want a FieldError on %q", err, tt.field)
			}
		})
	}
}

func TestApply(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	due := t0.Add(4 * time.Hour)
	routed := Lead{Stage: StageRouted, Owner: "rep-1", Team: "sales-emea", Policy: "emea", RoutedAt: &t0, FirstTouchDue: &due}
	touched := routed
	touched.Stage, touched.TouchedAt = StageTouched, &t0
	accepted := touched
	accepted.Stage, accepted.AcceptedAt = StageAccepted, &t0

	tests := []struct {
		name  string
		in    Lead
		a     Action
		check func(t *testing.T, out Lead)
	}{
		{"first touch sets touchedAt", routed, Action{Kind: ActivityTouch, At: t1}, func(t *testing.T, out Lead) {
			if out.Stage != StageTouched || out.TouchedAt == nil || !out.TouchedAt.Equal(t1) {
				t.Fatalf("got %s %v", out.Stage, out.TouchedAt)
			}
		}},
		{"second touch keeps the first touch time", touched, Action{Kind: ActivityTouch, At: t1}, func(t *testing.T, out Lead) {
			if out.Stage != StageTouched || !out.TouchedAt.Equal(t0) {
				t.Fatalf("got %s %v", out.Stage, out.TouchedAt)
			}
		}},
		{"accept", touched, Action{Kind: ActivityAccept, At: t1}, func(t *testing.T, out Lead) {
			if out.Stage != StageAccepted || !out.AcceptedAt.Equal(t1) || out.Owner != "rep-1" {
				t.Fatalf("got %+v", out)
			}
		}},
		{"reject returns the lead to marketing", touched, Action{Kind: ActivityReject, Reason: "student", At: t1}, func(t *testing.T, out Lead) {
			if out.Stage != StageRejected || !out.RejectedAt.Equal(t1) || out.Reason != "student" ||
				out.Owner != "" || out.Team != "sales-emea" || out.FirstTouchDue != nil || out.Policy != "emea" {
				t.Fatalf("got %+v", out)
			}
		}},
		{"win records amount and close time", accepted, Action{Kind: ActivityWin, Amount: 1200, At: t1}, func(t *testing.T, out Lead) {
			if out.Stage != StageWon || out.Amount != 1200 || !out.ClosedAt.Equal(t1) {
				t.Fatalf("got %+v", out)
			}
		}},
		{"lose records close time and reason", accepted, Action{Kind: ActivityLose, Reason: "competitor", At: t1}, func(t *testing.T, out Lead) {
			if out.Stage != StageLost || out.Reason != "competitor" || !out.ClosedAt.Equal(t1) {
				t.Fatalf("got %+v", out)
			}
		}},
		{"requalify starts a new cycle", Lead{Stage: StageRejected, Reason: "student", RejectedAt: &t0, TouchedAt: &t0, RoutedAt: &t0},
			Action{Kind: ActivityQualify, At: t1}, func(t *testing.T, out Lead) {
				if out.Stage != StageQualified || out.Reason != "" || out.TouchedAt != nil || out.RejectedAt != nil || !out.QualifiedAt.Equal(t1) {
					t.Fatalf("got %+v", out)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			out, err := Apply(in, tt.a)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out)
			if in.Stage != tt.in.Stage {
				t.Fatal("Apply changed its input")
			}
		})
	}

	if _, err := Apply(Lead{Stage: StageNew}, Action{Kind: ActivityTouch, At: t1}); err == nil {
		t.Fatal("touching a new lead was allowed")
	}
}

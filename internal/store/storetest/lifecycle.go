package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// testTransitions applies every activity to a lead in every stage: legal ones move it as the
// lifecycle says and leave one audit event; illegal ones return a *TransitionError and change nothing.
func testTransitions(t *testing.T, s store.Store) {
	for _, from := range lead.Stages {
		for _, kind := range lead.ActivityKinds {
			if kind == lead.ActivityRoute {
				continue // written through Update: see testUpdateLifecycle
			}
			t.Run(string(from)+"/"+string(kind), func(t *testing.T) {
				l := inStage(t, s, from)
				evsBefore := mustAudit(t, s, l.ID)
				want, legalErr := lead.Next(from, kind)
				got, err := s.Apply(ctx(t), l.ID, activity(kind))
				if legalErr == nil {
					if err != nil {
						t.Fatalf("legal %s from %s: %v", kind, from, err)
					}
					if got.Stage != want || got.Version != l.Version+1 || got.UpdatedAt.Before(l.UpdatedAt) {
						t.Fatalf("after %s: stage %s version %d (was %d)", kind, got.Stage, got.Version, l.Version)
					}
					evs := mustAudit(t, s, l.ID)
					if len(evs) != len(evsBefore)+1 {
						t.Fatalf("%d audit events, want %d", len(evs), len(evsBefore)+1)
					}
					last := evs[len(evs)-1]
					if last.Type != store.EventType(kind) || last.Actor != "rep-1" || last.At.IsZero() ||
						last.Data["from"] != string(from) || last.Data["to"] != string(want) {
						t.Fatalf("audit event %+v", last)
					}
					return
				}
				var te *store.TransitionError
				if !errors.As(err, &te) || te.From != from {
					t.Fatalf("illegal %s from %s: err = %v, want a *TransitionError", kind, from, err)
				}
				if !strings.Contains(err.Error(), string(from)) {
					t.Fatalf("error %q does not name the stage", err)
				}
				if err := sameLead(l, mustGet(t, s, l.ID)); err != nil {
					t.Fatal(err)
				}
				if evs := mustAudit(t, s, l.ID); len(evs) != len(evsBefore) {
					t.Fatalf("illegal transition wrote %d audit events", len(evs)-len(evsBefore))
				}
			})
		}
	}
}

func testActivityEffects(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	touched := inStage(t, s, lead.StageTouched)
	if touched.TouchedAt == nil || touched.TouchedAt.Before(before) || touched.Owner != "rep-1" {
		t.Fatalf("touched lead: %+v", touched)
	}
	// A second touch keeps the first-touch time and stays touched.
	at := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	again, err := s.Apply(ctx(t), touched.ID, store.Activity{Kind: lead.ActivityTouch, Actor: "rep-1", At: at})
	if err != nil || !again.TouchedAt.Equal(*touched.TouchedAt) || again.Stage != lead.StageTouched {
		t.Fatalf("second touch: %+v %v", again, err)
	}
	if evs := mustAudit(t, s, touched.ID); !evs[len(evs)-1].At.Equal(at) {
		t.Fatalf("the activity time is not the audit time: %v", evs[len(evs)-1].At)
	}
	rej, err := s.Apply(ctx(t), touched.ID, store.Activity{Kind: lead.ActivityReject, Actor: "rep-1", Reason: "no budget"})
	if err != nil {
		t.Fatal(err)
	}
	if rej.Stage != lead.StageRejected || rej.Reason != "no budget" || rej.RejectedAt == nil || rej.Owner != "" ||
		rej.Team != "sales-emea" || rej.FirstTouchDue != nil || rej.Policy != "emea" {
		t.Fatalf("rejected lead: %+v", rej)
	}
	evs := mustAudit(t, s, touched.ID)
	if last := evs[len(evs)-1]; last.Reason != "no budget" || last.Data["previousOwner"] != "rep-1" {
		t.Fatalf("reject event: %+v", last)
	}

	acc := inStage(t, s, lead.StageAccepted)
	if acc.AcceptedAt == nil {
		t.Fatalf("accepted lead: %+v", acc)
	}
	won, err := s.Apply(ctx(t), acc.ID, store.Activity{Kind: lead.ActivityWin, Actor: "rep-1", Amount: 1234.5})
	if err != nil || won.Amount != 1234.5 || won.ClosedAt == nil || won.Stage != lead.StageWon {
		t.Fatalf("won lead: %+v %v", won, err)
	}
}

func testInvalidActivity(t *testing.T, s store.Store) {
	touched := inStage(t, s, lead.StageTouched)
	acc := inStage(t, s, lead.StageAccepted)
	cases := []struct {
		name string
		l    *lead.Lead
		a    store.Activity
	}{
		{"reject without reason", touched, store.Activity{Kind: lead.ActivityReject, Actor: "rep-1"}},
		{"win without amount", acc, store.Activity{Kind: lead.ActivityWin, Actor: "rep-1"}},
		{"win with negative amount", acc, store.Activity{Kind: lead.ActivityWin, Actor: "rep-1", Amount: -5}},
		{"unknown kind", acc, store.Activity{Kind: "poke", Actor: "rep-1"}},
		{"no actor", acc, store.Activity{Kind: lead.ActivityTouch}},
		{"route through Apply", touched, store.Activity{Kind: lead.ActivityRoute, Actor: "rep-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := mustAudit(t, s, c.l.ID)
			_, err := s.Apply(ctx(t), c.l.ID, c.a)
			wantErr(t, err, store.ErrInvalid)
			if err := sameLead(c.l, mustGet(t, s, c.l.ID)); err != nil {
				t.Fatal(err)
			}
			if n := len(mustAudit(t, s, c.l.ID)); n != len(evs) {
				t.Fatalf("audit grew to %d", n)
			}
		})
	}
}

// testActivityOwnerCondition: an activity conditional on the owner applies to the owner's lead and
// is refused, changing nothing, once the lead is someone else's (a reassignment since it was read).
func testActivityOwnerCondition(t *testing.T, s store.Store) {
	l := inStage(t, s, lead.StageRouted)
	if l.Owner == "" || l.Owner == "someone-else" {
		t.Fatalf("routed lead owned by %q", l.Owner)
	}
	evs := mustAudit(t, s, l.ID)
	if _, err := s.Apply(ctx(t), l.ID, store.Activity{Kind: lead.ActivityTouch, Actor: "someone-else", Owner: "someone-else"}); !errors.Is(err, store.ErrNotOwner) {
		t.Fatalf("touch conditional on another member: %v, want ErrNotOwner", err)
	}
	if err := sameLead(l, mustGet(t, s, l.ID)); err != nil {
		t.Fatal(err)
	}
	if n := len(mustAudit(t, s, l.ID)); n != len(evs) {
		t.Fatalf("audit grew to %d", n)
	}
	touched, err := s.Apply(ctx(t), l.ID, store.Activity{Kind: lead.ActivityTouch, Actor: l.Owner, Owner: l.Owner})
	if err != nil || touched.Stage != lead.StageTouched {
		t.Fatalf("touch conditional on the owner: %+v %v", touched, err)
	}
}

func testUpdateCAS(t *testing.T, s store.Store) {
	l := inStage(t, s, lead.StageRouted)
	mine := *l
	mine.Owner, mine.ReassignmentCount = "rep-2", 1
	out, err := s.Update(ctx(t), &mine, store.AuditEvent{Type: lead.EventReassigned, Actor: "sla-clock", Reason: "first touch overdue",
		Data: map[string]any{"from": "rep-1", "to": "rep-2"}})
	if err != nil || out.Version != l.Version+1 || out.Owner != "rep-2" || out.ReassignmentCount != 1 {
		t.Fatalf("Update: %+v %v", out, err)
	}
	evs := mustAudit(t, s, l.ID)
	last := evs[len(evs)-1]
	if last.Type != lead.EventReassigned || last.Actor != "sla-clock" || last.Data["to"] != "rep-2" || last.At.IsZero() {
		t.Fatalf("update event: %+v", last)
	}
	// The same stale copy again: conflict, nothing written.
	stale := *l
	stale.Owner = "rep-3"
	_, err = s.Update(ctx(t), &stale, store.AuditEvent{Type: lead.EventReassigned, Actor: "sla-clock"})
	wantErr(t, err, store.ErrConflict)
	if err := sameLead(out, mustGet(t, s, l.ID)); err != nil {
		t.Fatal(err)
	}
	if n := len(mustAudit(t, s, l.ID)); n != len(evs) {
		t.Fatalf("a conflicting update wrote audit events")
	}
	// Without events the store still records who/what: one "updated" event by "system".
	cur := *out
	cur.Score = 5
	if _, err := s.Update(ctx(t), &cur); err != nil {
		t.Fatal(err)
	}
	evs = mustAudit(t, s, l.ID)
	if last := evs[len(evs)-1]; last.Type != store.EventUpdated || last.Actor != "system" {
		t.Fatalf("default event: %+v", last)
	}
	// ID, external id and creation time are immutable.
	cur2 := *mustGet(t, s, l.ID)
	cur2.CreatedAt = cur2.CreatedAt.Add(-time.Hour)
	res, err := s.Update(ctx(t), &cur2)
	if err != nil || !res.CreatedAt.Equal(l.CreatedAt) {
		t.Fatalf("created_at rewritten: %+v %v", res, err)
	}
}

func testUpdateLifecycle(t *testing.T, s store.Store) {
	for _, from := range lead.Stages {
		for _, to := range lead.Stages {
			if from == to {
				continue
			}
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				l := inStage(t, s, from)
				next := *l
				next.Stage = to
				_, err := s.Update(ctx(t), &next, store.AuditEvent{Type: "stage_changed", Actor: "test"})
				if lead.CheckStageChange(from, to) == nil {
					if err != nil {
						t.Fatalf("legal stage change: %v", err)
					}
					return
				}
				var te *store.TransitionError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a *TransitionError", err)
				}
				if err := sameLead(l, mustGet(t, s, l.ID)); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// testAuditCompleteness walks a lead through its life and checks that every version has its event.
func testAuditCompleteness(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	l := inStage(t, s, lead.StageWon)
	evs := mustAudit(t, s, l.ID)
	if int64(len(evs)) != l.Version {
		t.Fatalf("%d audit events for version %d: %+v", len(evs), l.Version, evs)
	}
	wantTypes := []string{lead.EventCreated, lead.EventQualified, lead.EventRouted, lead.EventTouched, lead.EventAccepted, lead.EventWon}
	for i, ev := range evs {
		if ev.Type != wantTypes[i] || ev.Actor == "" || ev.LeadID != l.ID || ev.At.Before(before) || ev.ID == 0 {
			t.Fatalf("event %d: %+v, want type %s", i, ev, wantTypes[i])
		}
		if i > 0 && ev.ID <= evs[i-1].ID {
			t.Fatalf("events out of order: %+v", evs)
		}
	}
}

package router

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// readerStore is memStore with GetLead, which the router reads originals through.
type readerStore struct{ *memStore }

func (s readerStore) GetLead(_ context.Context, id string) (*lead.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leads[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := *l
	return &c, nil
}

// TestDuplicates: a duplicate of a lead owned by sdr-2 (so least-loaded would pick sdr-1) under each
// spec.duplicates mode, with the original open, closed, or its owner full.
func TestDuplicates(t *testing.T) {
	cases := []struct {
		name     string
		mode     string
		origin   func(*lead.Lead)
		busy     int // more open leads of sdr-2 (capacity 2)
		stage    lead.Stage
		owner    string
		reason   string // of the duplicate_handled entry, a substring
		outcome  routing.Outcome
		noRecord bool
	}{
		{name: "Attach (default)", mode: "", stage: lead.StageDisqualified, reason: "attached to it, not routed", outcome: routing.Disqualified},
		{name: "Attach", mode: DuplicatesAttach, stage: lead.StageDisqualified, reason: "attached to it, not routed", outcome: routing.Disqualified},
		{name: "Attach, original won meanwhile", mode: DuplicatesAttach, origin: func(l *lead.Lead) { l.Stage = lead.StageWon },
			stage: lead.StageRouted, owner: "sdr-1", reason: "routed like a new lead", outcome: routing.Routed},
		{name: "RouteToSameOwner", mode: DuplicatesRouteToSameOwner, stage: lead.StageRouted, owner: "sdr-2",
			reason: "routed to the original's owner sdr-2", outcome: routing.Routed},
		{name: "RouteToSameOwner, owner full", mode: DuplicatesRouteToSameOwner, busy: 1, stage: lead.StageRouted, owner: "sdr-1",
			reason: "not an available member with room", outcome: routing.Routed},
		{name: "RouteToSameOwner, original closed", mode: DuplicatesRouteToSameOwner, origin: func(l *lead.Lead) { l.Stage = lead.StageLost },
			stage: lead.StageRouted, owner: "sdr-1", reason: "routed normally", outcome: routing.Routed},
		{name: "Route", mode: DuplicatesRoute, stage: lead.StageRouted, owner: "sdr-1", reason: "routed like any lead", outcome: routing.Routed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(f *fixture) { f.in.Policies[0].Duplicates = tc.mode })
			orig := newLead(func(l *lead.Lead) {
				l.ID, l.Stage, l.Owner, l.Team, l.Policy = "O", lead.StageRouted, "sdr-2", "ns/sdr", "ns/inbound"
				l.CreatedAt = now.Add(-time.Hour)
			})
			if tc.origin != nil {
				tc.origin(orig)
			}
			leads := []*lead.Lead{orig, newLead(func(l *lead.Lead) { l.ID, l.DuplicateOf = "D", "O" })}
			for i := range tc.busy {
				leads = append(leads, newLead(func(l *lead.Lead) {
					l.ID, l.Stage, l.Owner, l.Team = "busy"+string(rune('a'+i)), lead.StageRouted, "sdr-2", "ns/sdr"
				}))
			}
			st := readerStore{newMemStore(leads...)}
			r := &Router{Store: st}
			rep, err := r.Run(context.Background(), f.in)
			if err != nil {
				t.Fatal(err)
			}
			got := st.get("D")
			if got.Stage != tc.stage || got.Owner != tc.owner {
				t.Fatalf("duplicate: stage %s owner %q, want %s %q", got.Stage, got.Owner, tc.stage, tc.owner)
			}
			if got.DuplicateOf != "O" {
				t.Fatalf("the link was lost: %q", got.DuplicateOf)
			}
			if tc.stage == lead.StageDisqualified && got.Reason != lead.DuplicateReason("O") {
				t.Fatalf("reason %q", got.Reason)
			}
			var handled []store.AuditEvent
			for _, ev := range st.audit["D"] {
				if ev.Type == lead.EventDuplicateHandled {
					handled = append(handled, ev)
				}
			}
			if len(handled) != 1 || !strings.Contains(handled[0].Reason, tc.reason) {
				t.Fatalf("duplicate_handled entries %+v, want one saying %q", handled, tc.reason)
			}
			wantMode := tc.mode
			if wantMode == "" {
				wantMode = DuplicatesAttach
			}
			if handled[0].Data["mode"] != wantMode || handled[0].Data["duplicateOf"] != "O" {
				t.Fatalf("entry data %v", handled[0].Data)
			}
			var outcome routing.Outcome
			for _, d := range rep.Decisions {
				if d.LeadID == "D" {
					outcome = d.Outcome
				}
			}
			if outcome != tc.outcome {
				t.Fatalf("reported outcome %q, want %q", outcome, tc.outcome)
			}
			// A second pass changes nothing: an attached duplicate left the queue, a routed one is owned.
			before := st.get("D").Version
			if _, err := r.Run(context.Background(), f.in); err != nil {
				t.Fatal(err)
			}
			if st.get("D").Version != before {
				t.Fatal("a second pass decided the duplicate again")
			}
		})
	}
}

// TestDecideDuplicateWithoutOriginals: Decide (previews, explain) knows no originals: Attach
// attaches, RouteToSameOwner routes normally.
func TestDecideDuplicateWithoutOriginals(t *testing.T) {
	for mode, want := range map[string]lead.Stage{DuplicatesAttach: lead.StageDisqualified, DuplicatesRouteToSameOwner: lead.StageRouted, DuplicatesRoute: lead.StageRouted} {
		f := newFixture(t, func(f *fixture) { f.in.Policies[0].Duplicates = mode })
		_, ch, ok, err := Decide(f.in, f.world, newLead(func(l *lead.Lead) { l.DuplicateOf = "O" }))
		if err != nil || !ok || ch.Lead.Stage != want {
			t.Fatalf("%s: ok %v err %v stage %v, want %s", mode, ok, err, ch.Lead, want)
		}
	}
	// Not a duplicate: no entry about duplicates.
	f := newFixture(t)
	_, ch, _, _ := Decide(f.in, f.world, newLead())
	for _, ev := range ch.Events {
		if ev.Type == lead.EventDuplicateHandled {
			t.Fatalf("entry %+v on an original", ev)
		}
	}
	// A duplicate that fails the gate is disqualified by the gate, not attached.
	_, ch, _, _ = Decide(f.in, f.world, newLead(func(l *lead.Lead) { l.DuplicateOf, l.Score = "O", 10 }))
	if ch.Lead.Reason != "score below 60" {
		t.Fatalf("reason %q", ch.Lead.Reason)
	}
}

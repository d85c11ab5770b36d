package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func testNotifications(t *testing.T, s store.Store) {
	c, cancel := context.WithCancel(ctx(t))
	ch, err := s.Subscribe(c)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(what string, ids ...string) {
		t.Helper()
		want := map[string]bool{}
		for _, id := range ids {
			want[id] = true
		}
		timeout := time.After(20 * time.Second)
		for len(want) > 0 {
			select {
			case ch, ok := <-ch:
				if !ok {
					t.Fatalf("%s: channel closed", what)
				}
				delete(want, ch.LeadID)
			case <-timeout:
				t.Fatalf("%s: no notification for %d leads", what, len(want))
			}
		}
	}
	l := mustUpsert(t, s, input("n-1"))
	expect("create", l.ID)
	in := input("n-1")
	in.Score = 3
	mustUpsert(t, s, in)
	expect("upsert change", l.ID)
	if _, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityQualify)); err != nil {
		t.Fatal(err)
	}
	expect("apply", l.ID)
	route(t, s, mustGet(t, s, l.ID), "rep-1")
	expect("update", l.ID)
	var batch []store.LeadInput
	for i := range 20 {
		batch = append(batch, input(fmt.Sprintf("n-b-%d", i)))
	}
	out, err := s.UpsertLeads(ctx(t), batch, actor)
	if err != nil {
		t.Fatal(err)
	}
	expect("batch", ids(out)...)

	// A routing commit notifies every lead it decided, past one notification's worth (150).
	batch = batch[:0]
	for i := range 400 {
		batch = append(batch, input(fmt.Sprintf("n-r-%d", i)))
	}
	if out, err = s.UpsertLeads(ctx(t), batch, actor); err != nil {
		t.Fatal(err)
	}
	expect("batch for routing", ids(out)...)
	ds := make([]store.Decision, len(out))
	for i, l := range out {
		ds[i] = routeDecision(l, "rep-a", nil)
	}
	applied, conflicts, err := asRouter(t, s).CommitDecisions(ctx(t), ds)
	if err != nil || len(applied) != len(ds) || len(conflicts) != 0 {
		t.Fatalf("commit decisions: %d applied, %d conflicts, %v", len(applied), len(conflicts), err)
	}
	expect("routing commit", ids(applied)...)

	// A second subscriber sees changes too; ending the context closes the channel.
	c2, cancel2 := context.WithCancel(ctx(t))
	ch2, err := s.Subscribe(c2)
	if err != nil {
		t.Fatal(err)
	}
	l2 := mustUpsert(t, s, input("n-2"))
	expect("first subscriber", l2.ID)
	select {
	case got := <-ch2:
		if got.LeadID != l2.ID {
			t.Fatalf("second subscriber got %s", got.LeadID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("second subscriber got nothing")
	}
	cancel2()
	cancel()
	for _, ch := range []<-chan store.Change{ch, ch2} {
		deadline := time.After(20 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					break drain
				}
			case <-deadline:
				t.Fatal("subscription not closed after its context ended")
			}
		}
	}
}

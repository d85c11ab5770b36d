package router

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// TestMemoKeepsOnlyPendingLeads: behind a queue that every pass leaves unfinished (its time budget),
// the memo of a routed lead goes as soon as its decision is committed, not when a pass first reaches
// the end of the queue: the memos of a long queue routed meanwhile would otherwise pile up in memory.
func TestMemoKeepsOnlyPendingLeads(t *testing.T) {
	f := newFixture(t)
	var leads []*lead.Lead
	for i := range 5 {
		leads = append(leads, newLead(func(l *lead.Lead) { l.ID, l.Employees = fmt.Sprintf("M%d", i), 5000 }))
	}
	st := newMemStore(leads...)
	r := &Router{Store: st, PassBudget: time.Nanosecond}
	for pass := 1; ; pass++ {
		rep, err := r.Run(context.Background(), f.in)
		if err != nil {
			t.Fatal(err)
		}
		for id := range r.matches {
			if l := st.get(id); l.Stage != lead.StageNew && l.Stage != lead.StageQualified {
				t.Fatalf("pass %d: the memo still holds lead %s, which is %s", pass, id, l.Stage)
			}
		}
		if !rep.Truncated {
			break
		}
		if pass > 10 {
			t.Fatal("no complete pass after 10")
		}
	}
}

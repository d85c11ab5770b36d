package main

import (
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// TestScorecardDuplicatesBySource: a source's row counts its leads created in the period that are
// duplicates of an open lead (duplicateOf), whatever happened to them after.
func TestScorecardDuplicatesBySource(t *testing.T) {
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 3, 0)
	in := start.AddDate(0, 1, 0)
	mk := func(id, source, dupOf string, created time.Time, stage lead.Stage) *lead.Lead {
		return &lead.Lead{ID: id, Source: source, DuplicateOf: dupOf, CreatedAt: created, Stage: stage}
	}
	ls := []*lead.Lead{
		mk("a", "web", "", in, lead.StageNew),
		mk("b", "webinar", "a", in, lead.StageDisqualified),
		mk("c", "webinar", "a", in, lead.StageNew),
		mk("d", "web", "a", in, lead.StageNew),
		mk("e", "webinar", "a", start.AddDate(0, -1, 0), lead.StageNew), // before the period
		mk("f", "", "a", in, lead.StageNew),
	}
	rows := groupRows(ls, func(l *lead.Lead) string { return l.Source }, "(no source)", start, end, end, 3)
	want := map[string]int64{"web": 1, "webinar": 2, "(no source)": 1}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if r.Duplicates != want[r.Name] {
			t.Errorf("%s: %d duplicates, want %d", r.Name, r.Duplicates, want[r.Name])
		}
	}
	if total := computeRow("all leads", ls, start, end, end, 3); total.Duplicates != 4 || total.Leads != 5 {
		t.Errorf("total: %d duplicates of %d leads, want 4 of 5", total.Duplicates, total.Leads)
	}
}

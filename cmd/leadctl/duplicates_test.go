package main

import (
	"context"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// TestGetExplainDuplicate: leadctl get and explain show a duplicate's link, and the original shows
// how many duplicates were linked to it.
func TestGetExplainDuplicate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	orig, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: "form-1", Email: "pat@acme.example", Source: "web", Score: 70}, "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	dup, _, err := h.st.UpsertLead(ctx, store.LeadInput{ExternalID: "webinar-1", Email: "pat@acme.example", Source: "webinar", Score: 70}, "zoom")
	if err != nil || dup.DuplicateOf != orig.ID {
		t.Fatalf("duplicate %+v %v", dup, err)
	}
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := leadctl(t, nil, append(args, h.connArgs...)...)
		if code != exitOK {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
		return stdout
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"get", dup.ID}, []string{"Duplicate of:     " + orig.ID, "linked as a duplicate of lead " + orig.ID}},
		{[]string{"get", orig.ID}, []string{"Duplicates:       1 later lead of the same person linked to this one", "a duplicate arrived: lead " + dup.ID + " from webinar"}},
		{[]string{"explain", "--tz", "UTC", dup.ID}, []string{"It is a duplicate of lead " + orig.ID, "The store linked it to open lead " + orig.ID}},
		{[]string{"explain", "--tz", "UTC", orig.ID}, []string{"1 later lead of the same person was linked to it as a duplicate.", "Lead " + dup.ID + " arrived with the same email from webinar"}},
	} {
		out := run(c.args...)
		for _, w := range c.want {
			if !strings.Contains(words(out), words(w)) {
				t.Errorf("%v lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}

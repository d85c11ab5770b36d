package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

var duplicateTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"DuplicatesConcurrentSamePerson", testDuplicatesConcurrent},
	{"DuplicatesAfterClose", testDuplicatesAfterClose},
	{"DuplicatesBatch", testDuplicatesBatch},
	{"DuplicatesByAttribute", testDuplicatesByAttribute},
	{"DuplicatesByAttributeConcurrent", testDuplicatesByAttributeConcurrent},
}

func attrInput(ext, email string, id any) store.LeadInput {
	in := dupInput(ext, email)
	in.Attributes = map[string]any{"plan": "pro"}
	if id != nil {
		in.Attributes[DuplicateAttribute] = id
	}
	return in
}

// testDuplicatesByAttribute: with store.Options.DuplicateAttribute set (Options), two different
// emails with the same attribute value are linked (audit basis: the attribute); without the
// attribute, or another value, they are not; a closed original gives a new lead; a batch links to a
// stored original and within itself; a number value counts as its integer text.
func testDuplicatesByAttribute(t *testing.T, s store.Store) {
	orig := mustUpsert(t, s, attrInput("crm-a", "jane@work.example", "C-1"))
	dup := mustUpsert(t, s, attrInput("crm-b", "jane.private@home.example", " C-1 "))
	if dup.DuplicateOf != orig.ID {
		t.Fatalf("same %s, other email: duplicateOf %q, want %s", DuplicateAttribute, dup.DuplicateOf, orig.ID)
	}
	if got := mustGet(t, s, orig.ID); got.Duplicates != 1 {
		t.Errorf("original: duplicates %d, want 1", got.Duplicates)
	}
	var reason string
	for _, ev := range mustAudit(t, s, dup.ID) {
		if ev.Type == lead.EventDuplicate {
			reason = ev.Reason
		}
	}
	if want := "same " + DuplicateAttribute + " as open lead " + orig.ID; reason != want {
		t.Errorf("duplicate audit reason %q, want %q", reason, want)
	}
	for _, c := range []struct {
		name string
		in   store.LeadInput
	}{
		{"attribute absent", attrInput("crm-c", "someone@else.example", nil)},
		{"another value", attrInput("crm-d", "other@else.example", "C-2")},
		{"empty value", attrInput("crm-e", "empty@else.example", "")},
	} {
		if l := mustUpsert(t, s, c.in); l.DuplicateOf != "" {
			t.Errorf("%s: linked to %s", c.name, l.DuplicateOf)
		}
	}
	// The other attribute name does not match (the key is the configured attribute's).
	in := dupInput("crm-f", "f@else.example")
	in.Attributes = map[string]any{"otherId": "C-1"}
	if l := mustUpsert(t, s, in); l.DuplicateOf != "" {
		t.Errorf("another attribute with the value: linked to %s", l.DuplicateOf)
	}

	// A closed original: the same value is a new lead.
	closed := inStageFrom(t, s, lead.StageLost, attrInput("crm-g", "g@work.example", "C-3"))
	if l := mustUpsert(t, s, attrInput("crm-h", "h@home.example", "C-3")); l.DuplicateOf != "" {
		t.Errorf("closed original %s: linked to %s, want a new lead", closed.ID, l.DuplicateOf)
	}

	// Numbers: 42 and "42" are one person.
	n := mustUpsert(t, s, attrInput("crm-i", "i@work.example", 42.0))
	if l := mustUpsert(t, s, attrInput("crm-j", "j@home.example", "42")); l.DuplicateOf != n.ID {
		t.Errorf("number 42 then \"42\": duplicateOf %q, want %s", l.DuplicateOf, n.ID)
	}

	// Batch: a stored original, and a first new lead of the batch.
	out, err := s.UpsertLeads(ctx(t), []store.LeadInput{
		attrInput("crm-k", "k@a.example", "C-1"),
		attrInput("crm-l", "l@a.example", "C-9"),
		attrInput("crm-m", "m@b.example", "C-9"),
		attrInput("crm-n", "n@c.example", nil),
	}, actor)
	if err != nil {
		t.Fatalf("UpsertLeads: %v", err)
	}
	want := []string{orig.ID, "", out[1].ID, ""}
	for i, l := range out {
		if got := mustGet(t, s, l.ID); l.DuplicateOf != want[i] || got.DuplicateOf != want[i] {
			t.Errorf("batch item %d: duplicateOf %q (stored %q), want %q", i, l.DuplicateOf, got.DuplicateOf, want[i])
		}
	}
	if got := mustGet(t, s, orig.ID); got.Duplicates != 2 {
		t.Errorf("original after the batch: duplicates %d, want 2", got.Duplicates)
	}
}

// testDuplicatesByAttributeConcurrent: 20 goroutines post one person with 20 different emails and
// one attribute value: one original, 19 duplicates, its count 19.
func testDuplicatesByAttributeConcurrent(t *testing.T, s store.Store) {
	const n = 20
	orig, _ := postConcurrently(t, s, n, func(i int) store.LeadInput {
		return attrInput(fmt.Sprintf("crm-tool-%d", i), fmt.Sprintf("p%d@tool.example", i), "C-77")
	})
	if got := mustGet(t, s, orig.ID); got.Duplicates != n-1 {
		t.Fatalf("original: duplicates %d, want %d", got.Duplicates, n-1)
	}
}

// postConcurrently posts n leads at once (post(i) builds the i-th) and returns the one original and
// all n leads, failing unless exactly one is an original and every other is linked to it.
func postConcurrently(t *testing.T, s store.Store, n int, post func(i int) store.LeadInput) (*lead.Lead, []*lead.Lead) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		out   = make([]*lead.Lead, n)
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], _, errs[i] = s.UpsertLead(ctx(t), post(i), actor)
		}()
	}
	close(start)
	wg.Wait()
	var originals []*lead.Lead
	for i, err := range errs {
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		if out[i].DuplicateOf == "" {
			originals = append(originals, out[i])
		}
	}
	if len(originals) != 1 {
		t.Fatalf("%d originals, want 1", len(originals))
	}
	orig := originals[0]
	for i, l := range out {
		if l.ID != orig.ID && l.DuplicateOf != orig.ID {
			t.Fatalf("lead %d: duplicateOf %q, want %s", i, l.DuplicateOf, orig.ID)
		}
	}
	return orig, out
}

func dupInput(ext, email string) store.LeadInput {
	in := input(ext)
	in.Email = email
	return in
}

// testDuplicatesConcurrent: 20 goroutines post the same person (different external ids, as from
// different tools) at once: one original, 19 duplicates linked to it, an audit entry on each
// duplicate and 19 on the original.
func testDuplicatesConcurrent(t *testing.T, s store.Store) {
	const n = 20
	orig, out := postConcurrently(t, s, n, func(i int) store.LeadInput {
		return dupInput(fmt.Sprintf("tool-%d", i), "same.person@example.com")
	})
	for i, l := range out {
		if l.ID == orig.ID {
			continue
		}
		if got := mustGet(t, s, l.ID); got.DuplicateOf != orig.ID || got.Stage != lead.StageNew {
			t.Fatalf("stored duplicate %d: duplicateOf %q stage %s", i, got.DuplicateOf, got.Stage)
		}
		if c := countType(mustAudit(t, s, l.ID), lead.EventDuplicate); c != 1 {
			t.Fatalf("duplicate %d: %d %q audit entries, want 1", i, c, lead.EventDuplicate)
		}
	}
	if c := countType(mustAudit(t, s, orig.ID), lead.EventDuplicateAttached); c != n-1 {
		t.Fatalf("original: %d %q audit entries, want %d", c, lead.EventDuplicateAttached, n-1)
	}
	// The original's stored count of its duplicates; counting is not a change of the original.
	if got := mustGet(t, s, orig.ID); got.Duplicates != n-1 || got.Version != orig.Version {
		t.Fatalf("original: duplicates %d version %d, want %d and %d", got.Duplicates, got.Version, n-1, orig.Version)
	}
	// Re-posting an existing external id is an update, never a new duplicate.
	again := mustUpsert(t, s, dupInput("tool-0", "same.person@example.com"))
	if again.ID != out[0].ID || again.DuplicateOf != out[0].DuplicateOf {
		t.Fatalf("re-post changed the link: %+v", again)
	}
}

// testDuplicatesAfterClose: once the original is won, lost, disqualified or rejected, the same
// person arriving again is a new original; while it is open at any other stage, a duplicate.
func testDuplicatesAfterClose(t *testing.T, s store.Store) {
	for _, st := range lead.Stages {
		email := "p-" + string(st) + "@example.com"
		first := inStageFrom(t, s, st, dupInput("", email))
		next := mustUpsert(t, s, dupInput("", email))
		open := false
		for _, o := range lead.DuplicateStages {
			open = open || o == st
		}
		switch {
		case open && next.DuplicateOf != first.ID:
			t.Errorf("original %s: duplicateOf %q, want %s", st, next.DuplicateOf, first.ID)
		case !open && next.DuplicateOf != "":
			t.Errorf("original %s (closed): duplicateOf %q, want a new lead", st, next.DuplicateOf)
		}
	}
	if l := mustUpsert(t, s, dupInput("", "")); l.DuplicateOf != "" {
		t.Fatalf("lead without email linked to %s", l.DuplicateOf)
	}
}

// testDuplicatesBatch: a batch links to a stored open original and, within itself, to its first
// new lead with the email.
func testDuplicatesBatch(t *testing.T, s store.Store) {
	orig := mustUpsert(t, s, dupInput("b-0", "known@example.com"))
	out, err := s.UpsertLeads(ctx(t), []store.LeadInput{
		dupInput("b-1", "known@example.com"),
		dupInput("b-2", "fresh@example.com"),
		dupInput("b-3", "fresh@example.com"),
		dupInput("b-0", "known@example.com"),
	}, actor)
	if err != nil {
		t.Fatalf("UpsertLeads: %v", err)
	}
	want := []string{orig.ID, "", out[1].ID, ""}
	for i, l := range out {
		if l.DuplicateOf != want[i] {
			t.Errorf("item %d: duplicateOf %q, want %q", i, l.DuplicateOf, want[i])
		}
		if got := mustGet(t, s, l.ID); got.DuplicateOf != want[i] {
			t.Errorf("stored item %d: duplicateOf %q, want %q", i, got.DuplicateOf, want[i])
		}
	}
	if c := countType(mustAudit(t, s, out[1].ID), lead.EventDuplicateAttached); c != 1 {
		t.Fatalf("batch original: %d attached entries, want 1", c)
	}
	// Duplicates counts: stored and returned, for a stored original and one created in the batch.
	for _, c := range []struct {
		name string
		l    *lead.Lead
		want int64
	}{{"stored original", mustGet(t, s, orig.ID), 1}, {"returned stored original", out[3], 1},
		{"batch original", mustGet(t, s, out[1].ID), 1}, {"returned batch original", out[1], 1},
		{"returned duplicate", out[2], 0}, {"stored duplicate", mustGet(t, s, out[0].ID), 0}} {
		if c.l.Duplicates != c.want {
			t.Errorf("%s: duplicates %d, want %d", c.name, c.l.Duplicates, c.want)
		}
	}
}

func countType(evs []store.AuditEvent, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

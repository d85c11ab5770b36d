package storetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// feedTests are the event feed's conformance tests (EventsAfter, LoadCursor, SaveCursor). Some need a
// second store, so they are built with the suite's constructor.
func feedTests(newStore NewStore) []struct {
	name string
	fn   func(t *testing.T, s store.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"FeedEmpty", testFeedEmpty},
		{"FeedOrderAndPaging", testFeedOrder},
		{"FeedNextWhenCaughtUp", testFeedCaughtUp},
		{"FeedTypes", testFeedTypes},
		{"FeedTypesBoundedScan", testFeedTypesBudget},
		{"FeedPositionOfAnotherStore", func(t *testing.T, s store.Store) { testFeedOtherStore(t, s, newStore(t)) }},
		{"FeedBadAndUnknownPositions", testFeedBadPositions},
		{"FeedCursors", testFeedCursors},
		{"FeedConcurrentWriters", testFeedConcurrent},
	}
}

func eventsAfter(t *testing.T, s store.Store, q store.FeedQuery) store.FeedPage {
	t.Helper()
	p, err := s.EventsAfter(ctx(t), q)
	if err != nil {
		t.Fatalf("EventsAfter(%+v): %v", q, err)
	}
	return p
}

// readFeed follows the feed from after in pages of limit until caught up (Next == the position
// asked for) and returns every event read and the final position.
func readFeed(t *testing.T, s store.Store, after string, types []string, limit int) ([]store.AuditEvent, string) {
	t.Helper()
	var out []store.AuditEvent
	for range 10000 { // bounded
		p := eventsAfter(t, s, store.FeedQuery{After: after, Types: types, Limit: limit})
		if len(p.Events) > store.FeedPageSize(limit) {
			t.Fatalf("page of %d events, limit %d", len(p.Events), limit)
		}
		out = append(out, p.Events...)
		if p.Next == after {
			if len(p.Events) > 0 {
				t.Fatalf("a page with %d events did not move the position", len(p.Events))
			}
			return out, after
		}
		after = p.Next
	}
	t.Fatal("the feed never caught up")
	return nil, ""
}

// allAudit returns the audit events of leads, in id order.
func allAudit(t *testing.T, s store.Store, leads ...*lead.Lead) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	for _, l := range leads {
		out = append(out, mustAudit(t, s, l.ID)...)
	}
	slices.SortFunc(out, func(a, b store.AuditEvent) int { return int(a.ID - b.ID) })
	return out
}

func sameEvents(t *testing.T, what string, got, want []store.AuditEvent) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func testFeedEmpty(t *testing.T, s store.Store) {
	p := eventsAfter(t, s, store.FeedQuery{})
	if len(p.Events) != 0 || p.Events == nil {
		t.Fatalf("empty store: events %v (want an empty, non-nil list)", p.Events)
	}
	if p.Next == "" {
		t.Fatal("empty store: Next is empty; want the start position")
	}
	again := eventsAfter(t, s, store.FeedQuery{After: p.Next})
	if len(again.Events) != 0 || again.Next != p.Next {
		t.Fatalf("from the start position of an empty store: %d events, Next %q (want none, %q)", len(again.Events), again.Next, p.Next)
	}
	// The start position covers what is written after it was handed out.
	l := mustUpsert(t, s, input("feed-empty-1"))
	evs, _ := readFeed(t, s, p.Next, nil, 0)
	sameEvents(t, "events after the start position", evs, allAudit(t, s, l))
}

func testFeedOrder(t *testing.T, s store.Store) {
	var leads []*lead.Lead
	for i := range 4 {
		leads = append(leads, inStageFrom(t, s, lead.StageAccepted, input(fmt.Sprintf("feed-order-%d", i))))
	}
	batch := []store.LeadInput{input("feed-order-b1"), input("feed-order-b2"), input("feed-order-b3")}
	out, err := s.UpsertLeads(ctx(t), batch, actor)
	if err != nil {
		t.Fatal(err)
	}
	leads = append(leads, out...)
	want := allAudit(t, s, leads...)
	if len(want) < 20 {
		t.Fatalf("only %d audit events written", len(want))
	}
	// One writer at a time: feed order is id order on both backends.
	for _, limit := range []int{1, 3, 7, 0, 1000} {
		got, _ := readFeed(t, s, "", nil, limit)
		sameEvents(t, fmt.Sprintf("feed in pages of %d", limit), got, want)
	}
	// A page holds at most the limit, oldest first.
	p := eventsAfter(t, s, store.FeedQuery{Limit: 5})
	sameEvents(t, "first page of 5", p.Events, want[:5])
	// Next is a position that resumes right after the page.
	p2 := eventsAfter(t, s, store.FeedQuery{After: p.Next, Limit: 5})
	sameEvents(t, "second page of 5", p2.Events, want[5:10])
}

func testFeedCaughtUp(t *testing.T, s store.Store) {
	a := mustUpsert(t, s, input("feed-caught-1"))
	evs, pos := readFeed(t, s, "", nil, 0)
	sameEvents(t, "first read", evs, allAudit(t, s, a))
	for range 2 {
		p := eventsAfter(t, s, store.FeedQuery{After: pos})
		if len(p.Events) != 0 || p.Next != pos {
			t.Fatalf("caught up: %d events, Next %q, want none and %q", len(p.Events), p.Next, pos)
		}
	}
	// What is written next, and only that, follows.
	if _, err := s.Apply(ctx(t), a.ID, activity(lead.ActivityQualify)); err != nil {
		t.Fatal(err)
	}
	b := mustUpsert(t, s, input("feed-caught-2"))
	p := eventsAfter(t, s, store.FeedQuery{After: pos})
	if len(p.Events) != 2 || p.Events[0].Type != lead.EventQualified || p.Events[0].LeadID != a.ID ||
		p.Events[1].Type != lead.EventCreated || p.Events[1].LeadID != b.ID {
		t.Fatalf("after new writes: %+v, want qualified of a, created of b", p.Events)
	}
	if p.Next == pos {
		t.Fatal("Next did not move past new events")
	}
	// Reading from an old position again gives the same events: positions are values, not state.
	again := eventsAfter(t, s, store.FeedQuery{After: pos})
	sameEvents(t, "re-read from the same position", again.Events, p.Events)
	if again.Next != p.Next {
		t.Fatalf("re-read: Next %q, first read %q", again.Next, p.Next)
	}
}

func testFeedTypes(t *testing.T, s store.Store) {
	var leads []*lead.Lead
	for i := range 3 {
		leads = append(leads, inStageFrom(t, s, lead.StageWon, input(fmt.Sprintf("feed-types-%d", i))))
	}
	all := allAudit(t, s, leads...)
	types := []string{lead.EventRouted, lead.EventWon}
	var want []store.AuditEvent
	for _, ev := range all {
		if slices.Contains(types, ev.Type) {
			want = append(want, ev)
		}
	}
	if len(want) != 6 {
		t.Fatalf("%d routed/won events written, want 6", len(want))
	}
	for _, limit := range []int{1, 2, 0} {
		got, end := readFeed(t, s, "", types, limit)
		sameEvents(t, fmt.Sprintf("routed and won, pages of %d", limit), got, want)
		// Next went past the filtered-out events at the end (the last won is the last event anyway,
		// so check with a filter whose matches stop early): nothing is left after end.
		if rest := eventsAfter(t, s, store.FeedQuery{After: end}); len(rest.Events) != 0 {
			t.Fatalf("after the filtered read: %d events left unread", len(rest.Events))
		}
	}
	// Created events come first; the filtered reader's Next must still pass the later events.
	created, end := readFeed(t, s, "", []string{lead.EventCreated}, 0)
	if len(created) != 3 {
		t.Fatalf("%d created events, want 3", len(created))
	}
	if rest := eventsAfter(t, s, store.FeedQuery{After: end}); len(rest.Events) != 0 {
		t.Fatalf("a filtered reader's final position leaves %d events (of other types) to rescan", len(rest.Events))
	}
	// A type nothing has: empty, and the position still moves to the end.
	none, end := readFeed(t, s, "", []string{lead.EventBreached}, 0)
	if len(none) != 0 {
		t.Fatalf("breached: %d events", len(none))
	}
	if rest := eventsAfter(t, s, store.FeedQuery{After: end}); len(rest.Events) != 0 {
		t.Fatalf("after reading a type with no events: %d events left", len(rest.Events))
	}
	// Repeated types count once.
	got, _ := readFeed(t, s, "", []string{lead.EventWon, lead.EventWon}, 0)
	if len(got) != 3 {
		t.Fatalf("won,won: %d events, want 3", len(got))
	}
}

// testFeedTypesBudget: a filtered read far behind does bounded work per call and moves on.
func testFeedTypesBudget(t *testing.T, s store.Store) {
	n := store.FeedScanBudget + 500
	for off := 0; off < n; off += BatchSize {
		var batch []store.LeadInput
		for i := off; i < min(off+BatchSize, n); i++ {
			batch = append(batch, input(fmt.Sprintf("feed-budget-%d", i)))
		}
		if _, err := s.UpsertLeads(ctx(t), batch, actor); err != nil {
			t.Fatal(err)
		}
	}
	l := inStage(t, s, lead.StageRouted)
	p := eventsAfter(t, s, store.FeedQuery{Types: []string{lead.EventRouted}})
	if len(p.Events) != 0 || p.Next == "" {
		t.Fatalf("first call over %d unmatched events: %d events, Next %q; want none and a position past the scanned ones", n, len(p.Events), p.Next)
	}
	p = eventsAfter(t, s, store.FeedQuery{After: p.Next, Types: []string{lead.EventRouted}})
	if len(p.Events) != 1 || p.Events[0].LeadID != l.ID || p.Events[0].Type != lead.EventRouted {
		t.Fatalf("second call: %+v, want the routed event", p.Events)
	}
	p2 := eventsAfter(t, s, store.FeedQuery{After: p.Next})
	if len(p2.Events) != 0 || p2.Next != p.Next {
		t.Fatalf("after the routed event (the last): %d events, moved %v", len(p2.Events), p2.Next != p.Next)
	}
}

func testFeedOtherStore(t *testing.T, s, other store.Store) {
	mustUpsert(t, other, input("feed-other-1"))
	mustUpsert(t, s, input("feed-other-1"))
	_, pos := readFeed(t, other, "", nil, 0)
	_, err := s.EventsAfter(ctx(t), store.FeedQuery{After: pos})
	wantErr(t, err, store.ErrCursorExpired)
	// Even the start position of another store: it names the store.
	empty := filteredPosition(t, other)
	_, err = s.EventsAfter(ctx(t), store.FeedQuery{After: empty})
	wantErr(t, err, store.ErrCursorExpired)
}

// filteredPosition returns the position s hands out after a filtered read that matched nothing.
func filteredPosition(t *testing.T, s store.Store) string {
	t.Helper()
	p := eventsAfter(t, s, store.FeedQuery{Types: []string{lead.EventEscalated}})
	if len(p.Events) != 0 {
		t.Fatalf("escalated events in a fresh store: %d", len(p.Events))
	}
	return p.Next
}

func testFeedBadPositions(t *testing.T, s store.Store) {
	mustUpsert(t, s, input("feed-bad-1"))
	for _, bad := range []string{"%%%", "bm90IGpzb24", base64.RawURLEncoding.EncodeToString([]byte(`{"x":1}`))} {
		_, err := s.EventsAfter(ctx(t), store.FeedQuery{After: bad})
		wantErr(t, err, store.ErrBadCursor)
	}
	// A well-formed position of this store naming an event it does not hold (a database restored
	// from an older backup) is expired: serving from it would skip the events written until ids
	// pass it again.
	_, pos := readFeed(t, s, "", nil, 0)
	raw, err := base64.RawURLEncoding.DecodeString(pos)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["i"] = m["i"].(float64) + 1000
	b, _ := json.Marshal(m)
	_, err = s.EventsAfter(ctx(t), store.FeedQuery{After: base64.RawURLEncoding.EncodeToString(b)})
	wantErr(t, err, store.ErrCursorExpired)
}

func testFeedCursors(t *testing.T, s store.Store) {
	c := ctx(t)
	if pos, err := s.LoadCursor(c, "subscription/none"); err != nil || pos != "" {
		t.Fatalf("LoadCursor of an unknown consumer: %q, %v; want \"\", nil", pos, err)
	}
	mustUpsert(t, s, input("feed-cursor-1"))
	_, pos := readFeed(t, s, "", nil, 0)
	if err := s.SaveCursor(c, "subscription/crm", pos); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(c, "writeback/hubspot/main", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadCursor(c, "subscription/crm"); err != nil || got != pos {
		t.Fatalf("LoadCursor: %q, %v; want %q", got, err, pos)
	}
	if got, err := s.LoadCursor(c, "writeback/hubspot/main"); err != nil || got != "" {
		t.Fatalf("LoadCursor of a consumer saved at the start: %q, %v", got, err)
	}
	// The saved position resumes the feed where it was.
	l := mustUpsert(t, s, input("feed-cursor-2"))
	saved, _ := s.LoadCursor(c, "subscription/crm")
	evs, end := readFeed(t, s, saved, nil, 0)
	sameEvents(t, "events after the saved position", evs, allAudit(t, s, l))
	// Saving again overwrites; other consumers keep theirs.
	if err := s.SaveCursor(c, "subscription/crm", end); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoadCursor(c, "subscription/crm"); got != end {
		t.Fatalf("after the second save: %q, want %q", got, end)
	}
	if got, _ := s.LoadCursor(c, "writeback/hubspot/main"); got != "" {
		t.Fatalf("another consumer's cursor changed to %q", got)
	}
	// Garbage is refused, and no consumer name means nothing.
	wantErr(t, s.SaveCursor(c, "subscription/crm", "not a position"), store.ErrBadCursor)
	if got, _ := s.LoadCursor(c, "subscription/crm"); got != end {
		t.Fatalf("a refused save changed the cursor to %q", got)
	}
	wantErr(t, s.SaveCursor(c, "", end), store.ErrInvalid)
	_, err := s.LoadCursor(c, "")
	wantErr(t, err, store.ErrInvalid)
}

// testFeedConcurrent: writers on several goroutines while a reader follows the feed; the reader
// sees every event exactly once.
func testFeedConcurrent(t *testing.T, s store.Store) {
	const writers, perWriter = 4, 15
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var leads []*lead.Lead
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				l, _, err := s.UpsertLead(ctx(t), input(fmt.Sprintf("feed-conc-%d-%d", w, i)), actor)
				if err == nil {
					_, err = s.Apply(ctx(t), l.ID, activity(lead.ActivityQualify))
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				leads = append(leads, l)
				mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	seen := map[int64]int{}
	var got []store.AuditEvent
	pos := ""
	deadline := time.Now().Add(time.Minute)
	follow := func() {
		p := eventsAfter(t, s, store.FeedQuery{After: pos, Limit: 7})
		for _, ev := range p.Events {
			seen[ev.ID]++
			got = append(got, ev)
		}
		pos = p.Next
	}
loop:
	for time.Now().Before(deadline) {
		select {
		case <-done:
			break loop
		default:
			follow()
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	rest, _ := readFeed(t, s, pos, nil, 7)
	for _, ev := range rest {
		seen[ev.ID]++
	}
	got = append(got, rest...)
	want := allAudit(t, s, leads...)
	if len(want) != writers*perWriter*2 {
		t.Fatalf("%d audit events written, want %d", len(want), writers*perWriter*2)
	}
	for _, ev := range want {
		if seen[ev.ID] != 1 {
			t.Errorf("event %d (%s) read %d times", ev.ID, ev.Type, seen[ev.ID])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, %d written", len(got), len(want))
	}
}

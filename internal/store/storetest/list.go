package storetest

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func testPagination(t *testing.T, s store.Store) {
	const n = 25
	ids := map[string]bool{}
	var rep []string
	for i := range n {
		l := mustUpsert(t, s, input(fmt.Sprintf("page-%02d", i)))
		ids[l.ID] = true
		if i%3 == 0 {
			l = route(t, s, mustQualify(t, s, l), "rep-a")
			rep = append(rep, l.ID)
		}
	}
	// Whole store, 10 at a time: every lead exactly once, in (created_at, id) order.
	seen := map[string]bool{}
	cursor, pages := "", 0
	var prev *lead.Lead
	for range 10 {
		p, err := s.ListLeads(ctx(t), store.ListFilter{Cursor: cursor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, l := range p.Leads {
			if seen[l.ID] {
				t.Fatalf("lead %s on two pages", l.ID)
			}
			seen[l.ID] = true
			if prev != nil && (l.CreatedAt.Before(prev.CreatedAt) || (l.CreatedAt.Equal(prev.CreatedAt) && l.ID <= prev.ID)) {
				t.Fatalf("out of order: %s after %s", l.ID, prev.ID)
			}
			prev = l
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) != n || pages != 3 {
		t.Fatalf("saw %d leads on %d pages, want %d on 3", len(seen), pages, n)
	}

	// A rep's queue: owner and stage filters.
	p, err := s.ListLeads(ctx(t), store.ListFilter{Owner: "rep-a", Stages: []lead.Stage{lead.StageRouted, lead.StageTouched}})
	if err != nil || len(p.Leads) != len(rep) || p.NextCursor != "" {
		t.Fatalf("rep queue: %d leads (want %d), %v", len(p.Leads), len(rep), err)
	}
	for i, l := range p.Leads {
		if l.ID != rep[i] || l.Owner != "rep-a" {
			t.Fatalf("rep queue[%d] = %s", i, l.ID)
		}
	}
	for _, f := range []store.ListFilter{
		{Team: "sales-emea"}, {Policy: "emea"}, {Stages: []lead.Stage{lead.StageRouted}},
	} {
		p, err := s.ListLeads(ctx(t), f)
		if err != nil || len(p.Leads) != len(rep) {
			t.Fatalf("filter %+v: %d leads, %v", f, len(p.Leads), err)
		}
	}
	p, err = s.ListLeads(ctx(t), store.ListFilter{Stages: []lead.Stage{lead.StageNew}, Limit: 100})
	if err != nil || len(p.Leads) != n-len(rep) {
		t.Fatalf("new leads: %d, %v", len(p.Leads), err)
	}
	if _, err := s.ListLeads(ctx(t), store.ListFilter{Stages: []lead.Stage{"bogus"}}); err == nil {
		t.Fatal("unknown stage filter accepted")
	}
	// An empty result is an empty page, not an error.
	p, err = s.ListLeads(ctx(t), store.ListFilter{Owner: "nobody"})
	if err != nil || len(p.Leads) != 0 || p.NextCursor != "" {
		t.Fatalf("empty queue: %+v %v", p, err)
	}
}

func mustQualify(t *testing.T, s store.Store, l *lead.Lead) *lead.Lead {
	t.Helper()
	q, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityQualify))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func testBadCursor(t *testing.T, s store.Store) {
	mustUpsert(t, s, input("c-1"))
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, c := range []string{
		"garbage!", "====", b64("not json"), b64(`{"t":1,"id":"not-a-uuid"}`), b64(`{"t":-5,"id":"00000000-0000-7000-8000-000000000000"}`),
		b64(`[]`), b64(`{"t":"x"}`),
	} {
		_, err := s.ListLeads(ctx(t), store.ListFilter{Cursor: c})
		wantErr(t, err, store.ErrBadCursor)
	}
}

func testBatch(t *testing.T, s store.Store) {
	existing := mustUpsert(t, s, input("b-0"))
	var in []store.LeadInput
	for i := range 50 {
		item := input(fmt.Sprintf("b-%d", i))
		if i%10 == 9 {
			item.ExternalID = "" // always created
		}
		in = append(in, item)
	}
	out, err := s.UpsertLeads(ctx(t), in, actor)
	if err != nil || len(out) != len(in) {
		t.Fatalf("UpsertLeads: %d leads, %v", len(out), err)
	}
	for i, l := range out {
		if l.ExternalID != in[i].ExternalID || l.Version != 1 {
			t.Fatalf("item %d: %+v", i, l)
		}
	}
	if out[0].ID != existing.ID {
		t.Fatal("the batch did not upsert the existing lead by external id")
	}
	if n := countLeads(t, s); n != 50 {
		t.Fatalf("%d leads, want 50", n)
	}
	// The same batch again (minus the id-less rows): nothing changes.
	var again []store.LeadInput
	for _, item := range in {
		if item.ExternalID != "" {
			again = append(again, item)
		}
	}
	again[3].Score = 1 // except this one
	out2, err := s.UpsertLeads(ctx(t), again, actor)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range out2 {
		want := int64(1)
		if i == 3 {
			want = 2
		}
		if l.Version != want {
			t.Fatalf("item %d: version %d, want %d", i, l.Version, want)
		}
		if n := len(mustAudit(t, s, l.ID)); int64(n) != want {
			t.Fatalf("item %d: %d audit events", i, n)
		}
	}
	if n := countLeads(t, s); n != 50 {
		t.Fatalf("%d leads after re-import, want 50", n)
	}
	if out, err := s.UpsertLeads(ctx(t), nil, actor); err != nil || len(out) != 0 {
		t.Fatalf("empty batch: %v %v", out, err)
	}
}

func testBatchAllOrNothing(t *testing.T, s store.Store) {
	existing := mustUpsert(t, s, input("keep"))
	badEmail := input("x-3")
	badEmail.Email = "nope"
	cases := []struct {
		name  string
		bad   store.LeadInput
		index int
	}{
		{"invalid row", badEmail, 3},
		{"duplicate external id in the batch", input("x-1"), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			changed := input("keep")
			changed.Score = 1
			in := []store.LeadInput{input("x-0"), input("x-1"), changed, c.bad, input("x-4")}
			_, err := s.UpsertLeads(ctx(t), in, actor)
			var ie *store.ItemError
			if !errDetails(err, &ie) || ie.Index != c.index {
				t.Fatalf("err = %v, want an ItemError at index %d", err, c.index)
			}
			wantErr(t, err, store.ErrInvalid)
			if n := countLeads(t, s); n != 1 {
				t.Fatalf("%d leads after a refused batch, want 1", n)
			}
			if err := sameLead(existing, mustGet(t, s, existing.ID)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// listTests are the list-filter cases beyond pagination.
var listTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ListBreached", testListBreached},
}

// testListBreached: Breached keeps the leads with a recorded breach (breachCount > 0), open or closed,
// in the usual (created_at, id) order, and combines with the other filters and the cursor.
func testListBreached(t *testing.T, s store.Store) {
	breach := func(l *lead.Lead) *lead.Lead {
		t.Helper()
		next := *l
		now := time.Now()
		next.BreachCount, next.LastBreachAt, next.FirstTouchBreachedAt = next.BreachCount+1, &now, &now
		out, err := s.Update(ctx(t), &next, store.AuditEvent{Type: lead.EventBreached, Actor: "router", Reason: "first touch overdue"})
		if err != nil {
			t.Fatalf("breach: %v", err)
		}
		return out
	}
	apply := func(l *lead.Lead, kinds ...lead.ActivityKind) {
		t.Helper()
		for _, k := range kinds {
			if _, err := s.Apply(ctx(t), l.ID, activity(k)); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	}
	route(t, s, mustQualify(t, s, mustUpsert(t, s, input("br-ok"))), "rep-a")                   // routed, never breached
	open := breach(route(t, s, mustQualify(t, s, mustUpsert(t, s, input("br-open"))), "rep-a")) // routed, breached
	twice := breach(breach(route(t, s, mustQualify(t, s, mustUpsert(t, s, input("br-twice"))), "rep-b")))
	closed := breach(route(t, s, mustQualify(t, s, mustUpsert(t, s, input("br-won"))), "rep-b"))
	apply(closed, lead.ActivityTouch, lead.ActivityAccept, lead.ActivityWin) // closed, the breach stays on record
	mustUpsert(t, s, input("br-new"))

	ids := func(p store.Page) []string {
		out := make([]string, len(p.Leads))
		for i, l := range p.Leads {
			out[i] = l.ExternalID
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.ListFilter
		want []string
	}{
		{"breached", store.ListFilter{Breached: true}, []string{"br-open", "br-twice", "br-won"}},
		{"breached of a policy", store.ListFilter{Breached: true, Policy: "emea"}, []string{"br-open", "br-twice", "br-won"}},
		{"breached and open", store.ListFilter{Breached: true, Stages: []lead.Stage{lead.StageRouted, lead.StageTouched}}, []string{"br-open", "br-twice"}},
		{"breached of a rep", store.ListFilter{Breached: true, Owner: "rep-b"}, []string{"br-twice", "br-won"}},
		{"breached of another policy", store.ListFilter{Breached: true, Policy: "apac"}, []string{}},
		{"not filtered", store.ListFilter{}, []string{"br-ok", "br-open", "br-twice", "br-won", "br-new"}},
	} {
		p, err := s.ListLeads(ctx(t), tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := ids(p); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// One at a time: the cursor keeps the filter's order.
	var got []string
	f := store.ListFilter{Breached: true, Limit: 1}
	for range 5 {
		p, err := s.ListLeads(ctx(t), f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(p)...)
		if p.NextCursor == "" {
			break
		}
		f.Cursor = p.NextCursor
	}
	if fmt.Sprint(got) != "[br-open br-twice br-won]" {
		t.Errorf("paged: %v", got)
	}
	if l := mustGet(t, s, twice.ID); l.BreachCount != 2 || mustGet(t, s, open.ID).BreachCount != 1 {
		t.Errorf("breach counts: %d", l.BreachCount)
	}
}

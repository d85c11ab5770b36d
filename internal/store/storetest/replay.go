package storetest

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// replayTests cover what leadctl preview reads to replay a window of leads: the open load and the
// rules' turns as they stood when the window began.
var replayTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"LeadsOpenAt", testLeadsOpenAt},
	{"RuleHistoryAt", testRuleHistoryAt},
}

func openAt(t *testing.T, s store.Store, at time.Time) []string {
	t.Helper()
	var out []string
	if err := s.LeadsOpenAt(ctx(t), at, func(l *lead.Lead) error {
		out = append(out, l.ID)
		return nil
	}); err != nil {
		t.Fatalf("LeadsOpenAt: %v", err)
	}
	slices.Sort(out)
	return out
}

func testLeadsOpenAt(t *testing.T, s store.Store) {
	at := func(d time.Duration) func(*lead.Lead) { return func(n *lead.Lead) { n.RoutedAt = tp(base.Add(d)) } }
	// Still routed, routed at base.
	open := routed(t, s, "rep-a", at(0))
	// Touched at base+1h, still touched.
	touched := touchedAt(t, s, routed(t, s, "rep-b", at(0)), base.Add(time.Hour), nil)
	// Accepted at base+2h, then won at base+3h: open until base+2h.
	accepted := touchedAt(t, s, routed(t, s, "rep-a", at(0)), base.Add(time.Hour), nil)
	for _, a := range []store.Activity{{Kind: lead.ActivityAccept, At: base.Add(2 * time.Hour)},
		{Kind: lead.ActivityWin, Amount: 10, At: base.Add(3 * time.Hour)}} {
		a.Actor = actor
		var err error
		if accepted, err = s.Apply(ctx(t), accepted.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	// Rejected: no owner on record, so never counted.
	rejected := touchedAt(t, s, routed(t, s, "rep-a", at(0)), base.Add(time.Hour), nil)
	if _, err := s.Apply(ctx(t), rejected.ID, store.Activity{Kind: lead.ActivityReject, Reason: "no budget", Actor: actor,
		At: base.Add(90 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Routed later, at base+5h.
	late := routed(t, s, "rep-b", at(5*time.Hour))
	// New and queued leads hold nobody's capacity.
	mustUpsert(t, s, input("new-one"))
	mustQualify(t, s, mustUpsert(t, s, input("queued-one")))

	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for _, tc := range []struct {
		at   time.Duration
		want []string
	}{
		{-time.Second, nil},
		{0, sorted(open.ID, touched.ID, accepted.ID)},
		{2*time.Hour - time.Microsecond, sorted(open.ID, touched.ID, accepted.ID)},
		{2 * time.Hour, sorted(open.ID, touched.ID)},
		{5 * time.Hour, sorted(open.ID, touched.ID, late.ID)},
	} {
		if got := openAt(t, s, base.Add(tc.at)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("open at base%+v: %v, want %v", tc.at, got, tc.want)
		}
	}
	// The leads come whole, as GetLead returns them.
	if err := s.LeadsOpenAt(ctx(t), base.Add(time.Hour), func(l *lead.Lead) error {
		if l.ID == accepted.ID {
			if err := sameLead(l, mustGet(t, s, accepted.ID)); err != nil {
				t.Error(err)
			}
			if l.AcceptedAt == nil || !l.AcceptedAt.Equal(base.Add(2*time.Hour)) {
				t.Errorf("accepted at %v", l.AcceptedAt)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func testRuleHistoryAt(t *testing.T, s store.Store) {
	at := func(d time.Duration, rule string) func(*lead.Lead) {
		return func(n *lead.Lead) { n.RoutedAt, n.Rule = tp(base.Add(d)), rule }
	}
	routed(t, s, "rep-a", at(0, "r1"))
	routed(t, s, "rep-b", at(2*time.Second, "r1"))
	routed(t, s, "rep-a", at(time.Second, "r1"))
	routed(t, s, "rep-c", at(5*time.Second, "r2"))
	for _, tc := range []struct {
		at     time.Duration
		rule   string
		last   string
		counts map[string]int64
	}{
		{0, "r1", "", map[string]int64{}},
		{time.Second, "r1", "rep-a", map[string]int64{"rep-a": 1}},
		{time.Second + time.Microsecond, "r1", "rep-a", map[string]int64{"rep-a": 2}},
		{2 * time.Second, "r1", "rep-a", map[string]int64{"rep-a": 2}},
		{time.Hour, "r1", "rep-b", map[string]int64{"rep-a": 2, "rep-b": 1}},
		{time.Hour, "r2", "rep-c", map[string]int64{"rep-c": 1}},
		{time.Hour, "nope", "", map[string]int64{}},
	} {
		last, counts, err := s.RuleHistoryAt(ctx(t), "ns/p", tc.rule, base.Add(tc.at))
		if err != nil {
			t.Fatal(err)
		}
		if last != tc.last || !reflect.DeepEqual(counts, tc.counts) {
			t.Errorf("rule %s at base+%v: last %q counts %v, want %q %v", tc.rule, tc.at, last, counts, tc.last, tc.counts)
		}
	}
	// At any instant after the newest routing it is RuleHistory.
	last, counts, err := s.RuleHistory(ctx(t), "ns/p", "r1")
	if err != nil || last != "rep-b" || !reflect.DeepEqual(counts, map[string]int64{"rep-a": 2, "rep-b": 1}) {
		t.Fatalf("RuleHistory: %q %v %v", last, counts, err)
	}
}

// OpenReadOnly opens the database of rw once more with store.Options{ReadOnly: true}.
type OpenReadOnly func(t *testing.T) (store.Backend, error)

// RunReadOnly is the conformance case of store.Options.ReadOnly (leadctl preview): a store opened
// read-only on a database another handle wrote reads what that handle reads, every write through it
// fails, and afterwards the leads (versions included) and their audit logs are byte for byte what
// they were.
func RunReadOnly(t *testing.T, rw store.Backend, openRO OpenReadOnly) {
	l := touchedAt(t, rw, routed(t, rw, "rep-a", func(n *lead.Lead) { n.Rule = "r1" }), base.Add(time.Hour), nil)
	other := mustUpsert(t, rw, input("ro-other"))
	if err := rw.UpsertAccount(ctx(t), store.Account{Domain: "example.com", Owner: "rep-a"}); err != nil {
		t.Fatal(err)
	}
	before := dump(t, rw, l.ID, other.ID)

	ro, err := openRO(t)
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	t.Cleanup(func() { ro.Close() })
	if got := dump(t, ro, l.ID, other.ID); got != before {
		t.Fatalf("the read-only handle reads\n%s\nthe writer reads\n%s", got, before)
	}
	if got := openAt(t, ro, base.Add(2*time.Hour)); !reflect.DeepEqual(got, []string{l.ID}) {
		t.Errorf("LeadsOpenAt through the read-only handle: %v", got)
	}
	if last, _, err := ro.RuleHistoryAt(ctx(t), "ns/p", "r1", base.Add(time.Hour)); err != nil || last != "rep-a" {
		t.Errorf("RuleHistoryAt through the read-only handle: %q %v", last, err)
	}
	if a, err := ro.GetAccount(ctx(t), "example.com"); err != nil || a.Owner != "rep-a" {
		t.Errorf("GetAccount through the read-only handle: %+v %v", a, err)
	}
	if err := ro.Ping(ctx(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}

	fresh := mustGet(t, rw, other.ID)
	routedNext := *fresh
	writes := map[string]func() error{
		"UpsertLead": func() error { _, _, err := ro.UpsertLead(ctx(t), input("ro-new"), actor); return err },
		"UpsertLead(existing)": func() error {
			in := input("ro-other")
			in.Score = 1
			_, _, err := ro.UpsertLead(ctx(t), in, actor)
			return err
		},
		"UpsertLeads": func() error {
			_, err := ro.UpsertLeads(ctx(t), []store.LeadInput{input("ro-a"), input("ro-b")}, actor)
			return err
		},
		"Apply": func() error {
			_, err := ro.Apply(ctx(t), other.ID, store.Activity{Kind: lead.ActivityQualify, Actor: actor})
			return err
		},
		"Update": func() error {
			next := *fresh
			next.Score = 3
			_, err := ro.Update(ctx(t), &next, store.AuditEvent{Actor: actor, Type: lead.EventUpdated})
			return err
		},
		"UpsertAccount": func() error {
			return ro.UpsertAccount(ctx(t), store.Account{Domain: "example.org", Owner: "rep-b"})
		},
		"CommitDecisions": func() error {
			_, _, err := ro.CommitDecisions(ctx(t), []store.Decision{routeDecision(&routedNext, "rep-b", nil)})
			return err
		},
	}
	for name, write := range writes {
		if err := write(); err == nil {
			t.Errorf("%s through a read-only store succeeded", name)
		} else {
			t.Logf("%s refused: %v", name, err)
		}
	}
	if after := dump(t, rw, l.ID, other.ID); after != before {
		t.Fatalf("the store changed under a read-only handle:\nbefore %s\nafter  %s", before, after)
	}
	if n := countLeads(t, rw); n != 2 {
		t.Fatalf("%d leads after the refused writes, want 2", n)
	}
	if _, err := rw.GetAccount(ctx(t), "example.org"); err == nil {
		t.Fatal("an account was written through the read-only handle")
	}
}

// dump serializes the leads and their audit logs, for a byte-for-byte comparison.
func dump(t *testing.T, s store.Store, ids ...string) string {
	t.Helper()
	var all []any
	for _, id := range ids {
		all = append(all, mustGet(t, s, id), mustAudit(t, s, id))
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

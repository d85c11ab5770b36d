package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// routerTests are run by Run for backends that implement store.Router and store.SLA (every backend
// must: the subtests fail otherwise).
var routerTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"NewFieldsRoundTrip", testNewFieldsRoundTrip},
	{"CommitDecisions", testCommitDecisions},
	{"CommitDecisionsConflict", testCommitDecisionsConflict},
	{"CommitDecisionsBadPath", testCommitDecisionsBadPath},
	{"CommitDecisionsConcurrent", testCommitDecisionsConcurrent},
	{"PendingLeads", testPendingLeads},
	{"OpenLoad", testOpenLoad},
	{"RuleHistory", testRuleHistory},
	{"PolicyAndTeamStats", testPolicyTeamStats},
}

func asRouter(t *testing.T, s store.Store) store.Router {
	t.Helper()
	r, ok := s.(store.Router)
	if !ok {
		t.Fatalf("%T does not implement store.Router", s)
	}
	return r
}

func asSLA(t *testing.T, s store.Store) store.SLA {
	t.Helper()
	r, ok := s.(store.SLA)
	if !ok {
		t.Fatalf("%T does not implement store.SLA", s)
	}
	return r
}

func tp(t time.Time) *time.Time { return &t }

// base is a fixed instant the seeded times are relative to (microsecond precision, UTC).
var base = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// routeDecision is what the router commits for a new lead: qualified and routed in one decision,
// with one audit event for each step.
func routeDecision(l *lead.Lead, owner string, mut func(*lead.Lead)) store.Decision {
	next := *l
	next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, owner, "ns/t", "ns/p", "r1"
	next.QualifiedAt, next.RoutedAt = tp(base), tp(base)
	if mut != nil {
		mut(&next)
	}
	via := []lead.Stage{}
	if l.Stage == lead.StageNew {
		via = append(via, lead.StageQualified)
	}
	return store.Decision{Lead: &next, Via: via, Events: []store.AuditEvent{
		{Actor: "controller", Type: lead.EventQualified, Reason: "passed the gate", Data: map[string]any{"policy": next.Policy}},
		{Actor: "controller", Type: lead.EventRouted, Reason: "round robin", Data: map[string]any{"policy": next.Policy, "rule": next.Rule,
			"owner": owner, "candidates": []any{"rep-a", "rep-b"}}},
	}}
}

func mustCommit(t *testing.T, s store.Store, ds ...store.Decision) []*lead.Lead {
	t.Helper()
	applied, conflicts, err := asRouter(t, s).CommitDecisions(ctx(t), ds)
	if err != nil {
		t.Fatalf("CommitDecisions: %v", err)
	}
	if len(conflicts) != 0 || len(applied) != len(ds) {
		t.Fatalf("CommitDecisions: %d applied, conflicts %v; want %d applied", len(applied), conflicts, len(ds))
	}
	return applied
}

// routed creates a lead and routes it with one decision, after mut edits the decision.
func routed(t *testing.T, s store.Store, owner string, mut func(*lead.Lead)) *lead.Lead {
	t.Helper()
	return mustCommit(t, s, routeDecision(mustUpsert(t, s, input("")), owner, mut))[0]
}

// update writes mut(l) through Update.
func update(t *testing.T, s store.Store, l *lead.Lead, mut func(*lead.Lead)) *lead.Lead {
	t.Helper()
	next := *l
	mut(&next)
	out, err := s.Update(ctx(t), &next, store.AuditEvent{Actor: "storetest", Type: lead.EventUpdated})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return out
}

func ids(ls []*lead.Lead) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

func testNewFieldsRoundTrip(t *testing.T, s store.Store) {
	l := routed(t, s, "rep-a", nil)
	got := update(t, s, l, func(n *lead.Lead) {
		n.Rule = "enterprise-emea"
		n.FirstTouchDue, n.FirstTouchWarn = tp(base.Add(4*time.Hour)), tp(base.Add(3*time.Hour+time.Microsecond))
		n.AcceptanceDue, n.AcceptanceWarn = tp(base.Add(48*time.Hour)), tp(base.Add(40*time.Hour))
		n.FirstTouchBreachedAt = tp(base.Add(4*time.Hour + time.Second))
		n.AcceptanceBreachedAt = tp(base.Add(49 * time.Hour))
		n.BreachCount, n.LastBreachAt = 2, tp(base.Add(49*time.Hour))
		n.PreviousOwners = []string{"rep-x", "rep-y"}
		n.ReassignmentCount = 2
	})
	read := mustGet(t, s, l.ID)
	if !reflect.DeepEqual(got, read) {
		t.Fatalf("Update returned\n%+v\nGet returns\n%+v", got, read)
	}
	if read.Rule != "enterprise-emea" || read.BreachCount != 2 || !slices.Equal(read.PreviousOwners, []string{"rep-x", "rep-y"}) ||
		!read.FirstTouchWarn.Equal(base.Add(3*time.Hour+time.Microsecond)) || !read.AcceptanceWarn.Equal(base.Add(40*time.Hour)) ||
		!read.FirstTouchBreachedAt.Equal(base.Add(4*time.Hour+time.Second)) || !read.AcceptanceBreachedAt.Equal(base.Add(49*time.Hour)) ||
		!read.LastBreachAt.Equal(base.Add(49*time.Hour)) || read.ReassignmentCount != 2 {
		t.Fatalf("fields did not round-trip: %+v", read)
	}
	// Clearing them round-trips too.
	cleared := update(t, s, read, func(n *lead.Lead) {
		n.FirstTouchWarn, n.AcceptanceWarn, n.FirstTouchBreachedAt, n.AcceptanceBreachedAt, n.LastBreachAt = nil, nil, nil, nil, nil
		n.PreviousOwners, n.BreachCount, n.Rule = nil, 0, ""
	})
	if read := mustGet(t, s, l.ID); !reflect.DeepEqual(cleared, read) || read.FirstTouchWarn != nil || read.PreviousOwners != nil {
		t.Fatalf("cleared fields: %+v", read)
	}
	// Re-qualifying (a new handoff cycle) drops the warnings and recorded breaches of the old one.
	touched, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityTouch))
	if err != nil {
		t.Fatal(err)
	}
	touched = update(t, s, touched, func(n *lead.Lead) { n.FirstTouchWarn, n.FirstTouchBreachedAt = tp(base), tp(base) })
	if _, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityReject)); err != nil {
		t.Fatal(err)
	}
	rq, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityQualify))
	if err != nil {
		t.Fatal(err)
	}
	if rq.FirstTouchWarn != nil || rq.FirstTouchBreachedAt != nil {
		t.Fatalf("re-qualified lead kept the old cycle's SLA marks: %+v", rq)
	}
}

func testCommitDecisions(t *testing.T, s store.Store) {
	var ds []store.Decision
	var before []*lead.Lead
	for i := range 3 {
		l := mustUpsert(t, s, input(fmt.Sprintf("cd-%d", i)))
		before = append(before, l)
		ds = append(ds, routeDecision(l, fmt.Sprintf("rep-%d", i), func(n *lead.Lead) {
			n.FirstTouchDue, n.FirstTouchWarn = tp(base.Add(time.Hour)), tp(base.Add(30*time.Minute))
		}))
	}
	applied := mustCommit(t, s, ds...)
	for i, a := range applied {
		got := mustGet(t, s, before[i].ID)
		if !reflect.DeepEqual(a, got) {
			t.Fatalf("CommitDecisions returned\n%+v\nGet returns\n%+v", a, got)
		}
		if got.Stage != lead.StageRouted || got.Owner != fmt.Sprintf("rep-%d", i) || got.Rule != "r1" ||
			got.Version != before[i].Version+1 || !got.FirstTouchDue.Equal(base.Add(time.Hour)) {
			t.Fatalf("lead %d: %+v", i, got)
		}
		evs := mustAudit(t, s, got.ID)
		if len(evs) != 3 || evs[1].Type != lead.EventQualified || evs[2].Type != lead.EventRouted || evs[2].Data["rule"] != "r1" ||
			evs[2].Actor != "controller" || evs[2].Data["owner"] != got.Owner {
			t.Fatalf("audit of lead %d: %+v", i, evs)
		}
	}
	// An empty call is fine and does nothing.
	if a, c, err := asRouter(t, s).CommitDecisions(ctx(t), nil); err != nil || len(a) != 0 || len(c) != 0 {
		t.Fatalf("empty CommitDecisions: %v %v %v", a, c, err)
	}
}

func testCommitDecisionsConflict(t *testing.T, s store.Store) {
	var ls []*lead.Lead
	for range 3 {
		ls = append(ls, mustUpsert(t, s, input("")))
	}
	// Someone else qualifies the middle lead after the router read it.
	moved, err := s.Apply(ctx(t), ls[1].ID, activity(lead.ActivityQualify))
	if err != nil {
		t.Fatal(err)
	}
	movedAudit := mustAudit(t, s, moved.ID)
	var ds []store.Decision
	for _, l := range ls {
		ds = append(ds, routeDecision(l, "rep-a", nil))
	}
	applied, conflicts, err := asRouter(t, s).CommitDecisions(ctx(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(conflicts, []string{ls[1].ID}) || !slices.Equal(ids(applied), []string{ls[0].ID, ls[2].ID}) {
		t.Fatalf("applied %v conflicts %v", ids(applied), conflicts)
	}
	if err := sameLead(moved, mustGet(t, s, moved.ID)); err != nil {
		t.Fatal(err)
	}
	if got := mustAudit(t, s, moved.ID); len(got) != len(movedAudit) {
		t.Fatalf("conflicting lead got audit events: %+v", got)
	}
	for _, i := range []int{0, 2} {
		if got := mustGet(t, s, ls[i].ID); got.Stage != lead.StageRouted {
			t.Fatalf("lead %d not committed: %+v", i, got)
		}
	}
}

func testCommitDecisionsBadPath(t *testing.T, s store.Store) {
	a, b := mustUpsert(t, s, input("")), mustUpsert(t, s, input(""))
	good := routeDecision(a, "rep-a", nil)
	bad := []struct {
		name string
		d    store.Decision
	}{
		{"new to routed without via", func() store.Decision { d := routeDecision(b, "rep-a", nil); d.Via = nil; return d }()},
		{"illegal via step", func() store.Decision {
			d := routeDecision(b, "rep-a", nil)
			d.Via = []lead.Stage{lead.StageQualified, lead.StageAccepted}
			return d
		}()},
		{"first step illegal", func() store.Decision {
			d := routeDecision(b, "rep-a", nil)
			d.Via = []lead.Stage{lead.StageRouted}
			return d
		}()},
		{"unknown lead", func() store.Decision {
			d := routeDecision(b, "rep-a", nil)
			d.Lead.ID = "0190f5e2-7c4e-7000-8000-000000000000"
			return d
		}()},
		{"same lead twice", routeDecision(a, "rep-b", nil)},
		{"nil lead", store.Decision{}},
	}
	for _, tc := range bad {
		_, _, err := asRouter(t, s).CommitDecisions(ctx(t), []store.Decision{good, tc.d})
		if err == nil {
			t.Fatalf("%s: accepted", tc.name)
		}
		var te *store.TransitionError
		if tc.name != "unknown lead" && tc.name != "same lead twice" && tc.name != "nil lead" && !errors.As(err, &te) {
			t.Fatalf("%s: err = %v, want a TransitionError", tc.name, err)
		}
		for _, l := range []*lead.Lead{a, b} {
			if err := sameLead(l, mustGet(t, s, l.ID)); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if evs := mustAudit(t, s, l.ID); len(evs) != 1 {
				t.Fatalf("%s: audit written: %+v", tc.name, evs)
			}
		}
	}
}

// testCommitDecisionsConcurrent: two routers decide the same 200 leads at once, in batches and in
// opposite orders; every lead is committed exactly once.
func testCommitDecisionsConcurrent(t *testing.T, s store.Store) {
	const n, batch = 200, 50
	in := make([]store.LeadInput, n)
	for i := range in {
		in[i] = input(fmt.Sprintf("cc-%d", i))
	}
	ls, err := s.UpsertLeads(ctx(t), in, actor)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		total   int
		confl   int
		errs    = make(chan error, 2)
		start   = make(chan struct{})
		owners  = []string{"router-1", "router-2"}
		applyTo = map[string]string{}
	)
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k := range n / batch {
				if r == 1 {
					k = n/batch - 1 - k
				}
				var ds []store.Decision
				for _, l := range ls[k*batch : (k+1)*batch] {
					ds = append(ds, routeDecision(l, owners[r], nil))
				}
				applied, conflicts, err := asRouter(t, s).CommitDecisions(ctx(t), ds)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				total += len(applied)
				confl += len(conflicts)
				for _, a := range applied {
					applyTo[a.ID] = a.Owner
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if total != n || confl != n || len(applyTo) != n {
		t.Fatalf("applied %d (distinct %d), conflicts %d; want %d each", total, len(applyTo), confl, n)
	}
	for _, l := range ls {
		got := mustGet(t, s, l.ID)
		routedEvents := 0
		for _, ev := range mustAudit(t, s, l.ID) {
			if ev.Type == lead.EventRouted {
				routedEvents++
			}
		}
		if routedEvents != 1 || got.Owner != applyTo[l.ID] || got.Version != l.Version+1 {
			t.Fatalf("lead %s: %d routed events, owner %s (applied %s), version %d", l.ID, routedEvents, got.Owner, applyTo[l.ID], got.Version)
		}
	}
}

func testPendingLeads(t *testing.T, s store.Store) {
	r := asRouter(t, s)
	a := mustUpsert(t, s, input(""))
	b := inStage(t, s, lead.StageQualified)
	routed(t, s, "rep-a", nil)
	inStage(t, s, lead.StageDisqualified)
	e := mustUpsert(t, s, input(""))
	f := inStage(t, s, lead.StageQualified)
	update(t, s, f, func(n *lead.Lead) { n.Owner = "rep-held" }) // qualified but owned: not pending
	g := inStage(t, s, lead.StageQualified)
	update(t, s, g, func(n *lead.Lead) { n.Team, n.Policy = "ns/t", "ns/p" }) // queued for a team: pending
	got, err := r.PendingLeads(ctx(t), store.PendingCursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a.ID, b.ID, e.ID, g.ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("pending %v, want %v", ids(got), want)
	}
	first, err := r.PendingLeads(ctx(t), store.PendingCursor{}, 2)
	if err != nil || !slices.Equal(ids(first), []string{a.ID, b.ID}) {
		t.Fatalf("pending limit 2: %v %v", ids(first), err)
	}
	// The next page starts strictly after the last lead of this one.
	if next, err := r.PendingLeads(ctx(t), store.After(first[1]), 10); err != nil || !slices.Equal(ids(next), []string{e.ID, g.ID}) {
		t.Fatalf("pending after %s: %v %v", b.ID, ids(next), err)
	}
	if rest, err := r.PendingLeads(ctx(t), store.After(g), 10); err != nil || len(rest) != 0 {
		t.Fatalf("pending after the last: %v %v", ids(rest), err)
	}
	if got, err := r.PendingLeads(ctx(t), store.PendingCursor{}, 0); err != nil || len(got) != 0 {
		t.Fatalf("pending limit 0: %v %v", ids(got), err)
	}
}

func testOpenLoad(t *testing.T, s store.Store) {
	r := asRouter(t, s)
	if load, err := r.OpenLoad(ctx(t)); err != nil || len(load) != 0 {
		t.Fatalf("empty store: %v %v", load, err)
	}
	routed(t, s, "rep-a", nil)
	routed(t, s, "rep-a", nil)
	l := routed(t, s, "rep-a", nil)
	if _, err := s.Apply(ctx(t), l.ID, activity(lead.ActivityTouch)); err != nil {
		t.Fatal(err)
	}
	routed(t, s, "rep-b", nil)
	done := routed(t, s, "rep-b", nil)
	for _, k := range []lead.ActivityKind{lead.ActivityTouch, lead.ActivityAccept} {
		if _, err := s.Apply(ctx(t), done.ID, activity(k)); err != nil {
			t.Fatal(err)
		}
	}
	load, err := r.OpenLoad(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(load, map[string]int{"rep-a": 3, "rep-b": 1}) {
		t.Fatalf("open load %v", load)
	}
}

func testRuleHistory(t *testing.T, s store.Store) {
	r := asRouter(t, s)
	at := func(d time.Duration, rule string) func(*lead.Lead) {
		return func(n *lead.Lead) { n.RoutedAt, n.Rule = tp(base.Add(d)), rule }
	}
	routed(t, s, "rep-a", at(0, "r1"))
	routed(t, s, "rep-b", at(2*time.Second, "r1"))
	routed(t, s, "rep-a", at(time.Second, "r1"))
	routed(t, s, "rep-c", at(5*time.Second, "r2"))
	last, counts, err := r.RuleHistory(ctx(t), "ns/p", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if last != "rep-b" || !reflect.DeepEqual(counts, map[string]int64{"rep-a": 2, "rep-b": 1}) {
		t.Fatalf("history: last %q counts %v", last, counts)
	}
	last, counts, err = r.RuleHistory(ctx(t), "ns/p", "nope")
	if err != nil || last != "" || len(counts) != 0 {
		t.Fatalf("unknown rule: %q %v %v", last, counts, err)
	}
}

func testPolicyTeamStats(t *testing.T, s store.Store) {
	r := asRouter(t, s)
	routed(t, s, "rep-a", func(n *lead.Lead) { n.RoutedAt = tp(base.Add(time.Minute)) })
	l2 := routed(t, s, "rep-b", func(n *lead.Lead) { n.RoutedAt = tp(base.Add(2 * time.Minute)) })
	if _, err := s.Apply(ctx(t), l2.ID, activity(lead.ActivityTouch)); err != nil {
		t.Fatal(err)
	}
	q := inStage(t, s, lead.StageQualified)
	update(t, s, q, func(n *lead.Lead) { n.Team, n.Policy, n.Rule = "ns/t", "ns/p", "r1" })
	d := mustUpsert(t, s, input(""))
	update(t, s, d, func(n *lead.Lead) { n.Stage, n.Policy, n.Reason = lead.StageDisqualified, "ns/p", "gate" })
	l5 := routed(t, s, "rep-a", func(n *lead.Lead) { n.RoutedAt = tp(base) })
	for _, k := range []lead.ActivityKind{lead.ActivityTouch, lead.ActivityAccept} {
		if _, err := s.Apply(ctx(t), l5.ID, activity(k)); err != nil {
			t.Fatal(err)
		}
	}
	routed(t, s, "rep-z", func(n *lead.Lead) { n.Policy, n.Team, n.RoutedAt = "ns/q", "ns/u", tp(base.Add(time.Hour)) })
	mustUpsert(t, s, input(""))

	ps, err := r.PolicyStats(ctx(t), "ns/p")
	if err != nil {
		t.Fatal(err)
	}
	if ps.Routed != 3 || ps.Open != 2 || ps.Queued != 1 || ps.Disqualified != 1 || ps.LastRoutedTime == nil ||
		!ps.LastRoutedTime.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("policy stats %+v (last %v)", ps, ps.LastRoutedTime)
	}
	if ps, err := r.PolicyStats(ctx(t), "ns/none"); err != nil || ps != (store.PolicyStats{}) {
		t.Fatalf("unknown policy: %+v %v", ps, err)
	}
	ts, err := r.TeamStats(ctx(t), "ns/t")
	if err != nil || ts != (store.TeamStats{Open: 2, Queued: 1}) {
		t.Fatalf("team stats %+v %v", ts, err)
	}
	if ts, err := r.TeamStats(ctx(t), "ns/u"); err != nil || ts != (store.TeamStats{Open: 1}) {
		t.Fatalf("team ns/u stats %+v %v", ts, err)
	}
}

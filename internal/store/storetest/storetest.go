// Package storetest is the conformance suite every store.Store backend must pass. Backends run it
// from their own tests: storetest.Run(t, func(t *testing.T) store.Store { ... fresh store ... }).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// Options are the store.Options a backend opens the suite's stores with: the suite's duplicate
// attribute (leads that send it are duplicates across emails; input() never sends it).
var Options = store.Options{DuplicateAttribute: DuplicateAttribute}

// DuplicateAttribute is the attribute Options names as store.Options.DuplicateAttribute.
const DuplicateAttribute = "crmContactId"

// NewStore returns a fresh, empty, migrated store (opened with Options) that the test's cleanup closes.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite; each subtest gets its own store.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CRUD", testCRUD},
		{"Accounts", testAccounts},
		{"UpsertIdempotent", testUpsertIdempotent},
		{"UpsertValidation", testUpsertValidation},
		{"Transitions", testTransitions},
		{"ActivityEffects", testActivityEffects},
		{"InvalidActivityChangesNothing", testInvalidActivity},
		{"ActivityOwnerCondition", testActivityOwnerCondition},
		{"UpdateCompareAndSwap", testUpdateCAS},
		{"UpdateLifecycle", testUpdateLifecycle},
		{"AuditCompleteness", testAuditCompleteness},
		{"Notifications", testNotifications},
		{"Pagination", testPagination},
		{"BadCursor", testBadCursor},
		{"Batch", testBatch},
		{"BatchAllOrNothing", testBatchAllOrNothing},
		{"ConcurrentUpsertSameExternalID", testConcurrentUpsert},
		{"ConcurrentWritesOneLead", testConcurrentWrites},
	}
	tests = append(tests, listTests...)
	tests = append(tests, routerTests...)
	tests = append(tests, slaTests...)
	tests = append(tests, goalTests...)
	tests = append(tests, replayTests...)
	tests = append(tests, duplicateTests...)
	tests = append(tests, normalizedTests...)
	tests = append(tests, experimentTests...)
	tests = append(tests, feedTests(newStore)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

const actor = "storetest"

var inputSeq atomic.Int64

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// input is a lead with external id ext. Its email is its own (one per external id, a fresh one for
// no external id), so leads the suite creates are no duplicates of each other unless a test says so.
func input(ext string) store.LeadInput {
	email := fmt.Sprintf("jane.%d@example.com", inputSeq.Add(1))
	if ext != "" {
		h := fnv.New64a()
		h.Write([]byte(ext))
		email = fmt.Sprintf("jane.x%x@example.com", h.Sum64())
	}
	return store.LeadInput{
		ExternalID: ext, Email: email, Name: "Jane Doe", Company: "Example GmbH",
		Domain: "example.com", Country: "DE", Industry: "software", Employees: 120,
		Source: "webinar", Campaign: "q1-launch", Score: 72,
		Attributes: map[string]any{"plan": "pro", "seats": 12.0},
	}
}

func mustUpsert(t *testing.T, s store.Store, in store.LeadInput) *lead.Lead {
	t.Helper()
	l, _, err := s.UpsertLead(ctx(t), in, actor)
	if err != nil {
		t.Fatalf("UpsertLead: %v", err)
	}
	return l
}

func mustGet(t *testing.T, s store.Store, id string) *lead.Lead {
	t.Helper()
	l, err := s.GetLead(ctx(t), id)
	if err != nil {
		t.Fatalf("GetLead: %v", err)
	}
	return l
}

func mustAudit(t *testing.T, s store.Store, id string) []store.AuditEvent {
	t.Helper()
	evs, err := s.Audit(ctx(t), id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return evs
}

// countLeads pages through the whole store.
func countLeads(t *testing.T, s store.Store) int {
	t.Helper()
	n, cursor := 0, ""
	for range 1000 { // bounded: 1000 pages of 1000
		p, err := s.ListLeads(ctx(t), store.ListFilter{Cursor: cursor, Limit: store.MaxPageSize})
		if err != nil {
			t.Fatalf("ListLeads: %v", err)
		}
		n += len(p.Leads)
		if p.NextCursor == "" {
			return n
		}
		cursor = p.NextCursor
	}
	t.Fatal("too many pages")
	return 0
}

func activity(kind lead.ActivityKind) store.Activity {
	a := store.Activity{Kind: kind, Actor: "rep-1"}
	switch kind {
	case lead.ActivityReject, lead.ActivityDisqualify:
		a.Reason = "not our customer"
	case lead.ActivityWin:
		a.Amount = 30000
	}
	return a
}

// route assigns the lead through Update, as the router does.
func route(t *testing.T, s store.Store, l *lead.Lead, owner string) *lead.Lead {
	t.Helper()
	next := *l
	now := time.Now()
	due := now.Add(4 * time.Hour)
	next.Stage, next.Owner, next.Team, next.Policy = lead.StageRouted, owner, "sales-emea", "emea"
	next.RoutedAt, next.FirstTouchDue, next.TouchedAt = &now, &due, nil
	out, err := s.Update(ctx(t), &next, store.AuditEvent{Type: lead.EventRouted, Actor: "router", Reason: "rule emea-default"})
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	return out
}

// inStage creates a lead and walks it to stage st along the lifecycle.
func inStage(t *testing.T, s store.Store, st lead.Stage) *lead.Lead {
	t.Helper()
	return inStageFrom(t, s, st, input(""))
}

// inStageFrom is inStage for a lead created from in.
func inStageFrom(t *testing.T, s store.Store, st lead.Stage, in store.LeadInput) *lead.Lead {
	t.Helper()
	l := mustUpsert(t, s, in)
	apply := func(k lead.ActivityKind) {
		t.Helper()
		var err error
		if l, err = s.Apply(ctx(t), l.ID, activity(k)); err != nil {
			t.Fatalf("walking to %s: %s: %v", st, k, err)
		}
	}
	paths := map[lead.Stage][]lead.ActivityKind{
		lead.StageNew:          nil,
		lead.StageQualified:    {lead.ActivityQualify},
		lead.StageDisqualified: {lead.ActivityDisqualify},
		lead.StageRouted:       {lead.ActivityQualify, lead.ActivityRoute},
		lead.StageTouched:      {lead.ActivityQualify, lead.ActivityRoute, lead.ActivityTouch},
		lead.StageAccepted:     {lead.ActivityQualify, lead.ActivityRoute, lead.ActivityTouch, lead.ActivityAccept},
		lead.StageRejected:     {lead.ActivityQualify, lead.ActivityRoute, lead.ActivityTouch, lead.ActivityReject},
		lead.StageWon:          {lead.ActivityQualify, lead.ActivityRoute, lead.ActivityTouch, lead.ActivityAccept, lead.ActivityWin},
		lead.StageLost:         {lead.ActivityQualify, lead.ActivityRoute, lead.ActivityTouch, lead.ActivityAccept, lead.ActivityLose},
	}
	path, ok := paths[st]
	if !ok {
		t.Fatalf("no path to %s", st)
	}
	for _, k := range path {
		if k == lead.ActivityRoute {
			l = route(t, s, l, "rep-1")
			continue
		}
		apply(k)
	}
	if l.Stage != st {
		t.Fatalf("walked to %s, want %s", l.Stage, st)
	}
	return l
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func sameLead(a, b *lead.Lead) error {
	if a.ID != b.ID || a.Version != b.Version || a.Stage != b.Stage || a.Owner != b.Owner ||
		a.Reason != b.Reason || a.Amount != b.Amount || !a.UpdatedAt.Equal(b.UpdatedAt) {
		return fmt.Errorf("lead changed: %+v\nbecame %+v", a, b)
	}
	return nil
}

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func init() {
	routerTests = append(routerTests, []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ErasureKeepsFacts", testErasureKeepsFacts},
		{"ErasureNoResurrection", testErasureNoResurrection},
		{"ErasureUnknownLead", testErasureUnknownLead},
		{"ErasableLeads", testErasableLeads},
		{"AuditChainVerifies", testAuditChainVerifies},
	}...)
}

// ActiveLead creates a lead with four audit events (created; qualified and routed by one decision,
// the routing one naming an account domain; touched), personal data in each kind of place erasure
// must reach: for the backends' tampering and erasure tests.
func ActiveLead(t *testing.T, s store.Backend) *lead.Lead {
	t.Helper()
	ctx := context.Background()
	l, _, err := s.UpsertLead(ctx, store.LeadInput{ExternalID: "t", Email: "jane@example.com", Name: "Jane", Source: "web"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	next := *l
	next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, "rep-1", "ns/t", "ns/p", "r1"
	now := l.CreatedAt
	next.QualifiedAt, next.RoutedAt = &now, &now
	_, conflicts, err := s.CommitDecisions(ctx, []store.Decision{{Lead: &next, Via: []lead.Stage{lead.StageQualified},
		Events: []store.AuditEvent{
			{Actor: "controller", Type: lead.EventQualified, Reason: "passed the gate", Data: map[string]any{"policy": "ns/p"}},
			{Actor: "controller", Type: lead.EventRouted, Reason: "account of example.com", Data: map[string]any{"owner": "rep-1", "account": map[string]any{"domain": "example.com"}}},
		}}})
	if err != nil || len(conflicts) > 0 {
		t.Fatalf("CommitDecisions: %v %v", err, conflicts)
	}
	if _, err := s.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityTouch, Actor: "rep-1", Reason: "left a voicemail for Jane"}); err != nil {
		t.Fatal(err)
	}
	return l
}

// VerifyStore runs store.VerifyChain over every lead's chain (leadID "" for all) and returns the
// first break, failing t on a read error.
func VerifyStore(t *testing.T, s store.Backend, leadID string) (leads int, brk *store.ChainBreak) {
	t.Helper()
	err := s.AuditChain(ctx(t), leadID, func(id string, rows []store.ChainRow) error {
		leads++
		if _, b := store.VerifyChain(id, rows); b != nil && brk == nil {
			brk = b
		}
		return nil
	})
	if err != nil {
		t.Fatalf("AuditChain: %v", err)
	}
	return leads, brk
}

// wonWithAccount routes a lead through an account-owner decision (its audit names the lead's
// domain), accepts and wins it, with a rep-typed reason on the way.
func wonWithAccount(t *testing.T, s store.Store, in store.LeadInput) *lead.Lead {
	t.Helper()
	d := routeDecision(mustUpsert(t, s, in), "rep-1", nil)
	d.Events[1].Reason = "owns the matching account; domain " + in.Domain
	d.Events[1].Data["account"] = map[string]any{"domain": in.Domain, "match": "domain " + in.Domain}
	l := mustCommit(t, s, d)[0]
	for _, a := range []store.Activity{
		{Kind: store.ActivityTouch, Actor: "rep-1", Reason: "called " + in.Name},
		{Kind: store.ActivityAccept, Actor: "rep-1"},
		{Kind: store.ActivityWin, Actor: "rep-1", Amount: 1200, At: base.Add(time.Hour)},
	} {
		var err error
		if l, err = s.Apply(ctx(t), l.ID, a); err != nil {
			t.Fatalf("Apply %s: %v", a.Kind, err)
		}
	}
	return l
}

// testErasureKeepsFacts: erasure clears every personal field of the lead and its duplicate and of
// their audit events, keeps stage, owner, times, amount, source and campaign, records who erased,
// and leaves every chain verifying.
func testErasureKeepsFacts(t *testing.T, s store.Store) {
	in := input("erase-1")
	in.Phone = "+4930123456"
	in.Original = map[string]string{"email": " " + strings.ToUpper(in.Email)}
	won := wonWithAccount(t, s, in)
	openIn := input("erase-open")
	open := mustUpsert(t, s, openIn)
	twinIn := input("")
	twinIn.Email = openIn.Email
	twin := mustUpsert(t, s, twinIn)
	if twin.DuplicateOf != open.ID {
		t.Fatalf("second lead with the same email: duplicateOf %q, want %q", twin.DuplicateOf, open.ID)
	}

	er, err := s.ErasePersonalData(ctx(t), won.ID, "token/privacy-desk")
	if err != nil {
		t.Fatalf("ErasePersonalData: %v", err)
	}
	if len(er.LeadIDs) != 1 || er.LeadIDs[0] != won.ID || er.Events == 0 {
		t.Fatalf("erasure = %+v, want lead %s alone with redacted events", er, won.ID)
	}
	got := mustGet(t, s, won.ID)
	if got.Email != "" || got.Name != "" || got.Phone != "" || got.Company != "" || got.Domain != "" ||
		len(got.Attributes) != 0 || len(got.Original) != 0 || got.Reason != "" {
		t.Errorf("erased lead still holds personal data: %+v", got)
	}
	if got.Stage != lead.StageWon || got.Owner != "rep-1" || got.Amount != 1200 || got.Source != in.Source ||
		got.Campaign != in.Campaign || got.Score != in.Score || got.Country != in.Country || got.ClosedAt == nil ||
		!got.ClosedAt.Equal(won.ClosedAt.UTC()) || got.RoutedAt == nil || got.Policy != won.Policy || got.Rule != won.Rule {
		t.Errorf("erasure changed a fact: got %+v\nwant stage, owner, amount, source, campaign, score, country, times of %+v", got, won)
	}
	evs := mustAudit(t, s, won.ID)
	last := evs[len(evs)-1]
	if last.Type != lead.EventErased || last.Actor != "token/privacy-desk" || last.Reason != "" {
		t.Errorf("last audit event = %+v, want an erased event by token/privacy-desk", last)
	}
	text, _ := json.Marshal(evs)
	for _, personal := range []string{in.Email, in.Name, in.Domain, "Jane", "called"} {
		if strings.Contains(strings.ToLower(string(text)), strings.ToLower(personal)) {
			t.Errorf("audit of the erased lead still contains %q: %s", personal, text)
		}
	}
	for _, ev := range evs {
		if ev.Type == lead.EventRouted && (ev.Data["owner"] != "rep-1" || ev.Data["rule"] != "r1") {
			t.Errorf("routed event lost its routing facts: %+v", ev)
		}
		if ev.Type == lead.EventWon && ev.Data["amount"] != 1200.0 {
			t.Errorf("won event lost its amount: %+v", ev)
		}
	}

	// The open lead: its duplicate goes with it.
	er, err = s.ErasePersonalData(ctx(t), open.ID, "token/privacy-desk")
	if err != nil {
		t.Fatalf("ErasePersonalData: %v", err)
	}
	if !slices.Equal(er.LeadIDs, []string{open.ID, twin.ID}) {
		t.Errorf("erased %v, want the lead and its duplicate %v", er.LeadIDs, []string{open.ID, twin.ID})
	}
	if g := mustGet(t, s, twin.ID); g.Email != "" || g.Name != "" {
		t.Errorf("duplicate kept its personal data: %+v", g)
	}
	// Erasing twice records a second erasure and redacts nothing more.
	if er, err = s.ErasePersonalData(ctx(t), won.ID, "token/privacy-desk"); err != nil || er.Events != 0 {
		t.Errorf("second erasure = %+v, %v; want no more events redacted", er, err)
	}
	if n, brk := VerifyStore(t, s, ""); brk != nil || n != 3 {
		t.Errorf("verify after erasure: %d leads, break %v; want every chain intact", n, brk)
	}
}

// testErasureNoResurrection: a new lead with the erased email is no duplicate of the erased lead,
// and nothing about the erased lead's email is found through the duplicate links.
func testErasureNoResurrection(t *testing.T, s store.Store) {
	in := input("resurrect-1")
	in.Attributes = map[string]any{DuplicateAttribute: "crm-77"}
	l := mustUpsert(t, s, in)
	if _, err := s.ErasePersonalData(ctx(t), l.ID, "ops"); err != nil {
		t.Fatalf("ErasePersonalData: %v", err)
	}
	again := input("")
	again.Email = in.Email
	if n := mustUpsert(t, s, again); n.DuplicateOf != "" {
		t.Errorf("new lead with the erased email is a duplicate of %s: the erased email still matched", n.DuplicateOf)
	}
	byKey := input("")
	byKey.Attributes = map[string]any{DuplicateAttribute: "crm-77"}
	if n := mustUpsert(t, s, byKey); n.DuplicateOf != "" {
		t.Errorf("new lead with the erased duplicate key is a duplicate of %s", n.DuplicateOf)
	}
}

func testErasureUnknownLead(t *testing.T, s store.Store) {
	_, err := s.ErasePersonalData(ctx(t), "00000000-0000-4000-8000-000000000000", "ops")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("erase unknown lead: %v, want ErrNotFound", err)
	}
	l := mustUpsert(t, s, input(""))
	if _, err := s.ErasePersonalData(ctx(t), l.ID, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("erase without actor: %v, want ErrInvalid", err)
	}
}

// testErasableLeads: closed leads past the retention, oldest first; open leads and erased leads never.
func testErasableLeads(t *testing.T, s store.Store) {
	won := wonWithAccount(t, s, input("ret-won"))
	open := routed(t, s, "rep-2", nil)
	ids, err := s.ErasableLeads(ctx(t), base.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatalf("ErasableLeads: %v", err)
	}
	if !slices.Equal(ids, []string{won.ID}) {
		t.Errorf("erasable = %v, want the won lead %s only (not the open %s)", ids, won.ID, open.ID)
	}
	if ids, _ := s.ErasableLeads(ctx(t), base, 10); len(ids) != 0 {
		t.Errorf("erasable before the closing = %v, want none", ids)
	}
	if _, err := s.ErasePersonalData(ctx(t), won.ID, "retention"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.ErasableLeads(ctx(t), base.Add(2*time.Hour), 10); len(ids) != 0 {
		t.Errorf("erasable after erasure = %v, want none", ids)
	}
}

// testAuditChainVerifies: chains written by every writer (single and batch upserts, duplicates,
// decisions, activities, updates) verify, lead by lead and for the whole store.
func testAuditChainVerifies(t *testing.T, s store.Store) {
	batch := []store.LeadInput{input("chain-1"), input("chain-2"), input("chain-3")}
	batch[2].Email = batch[0].Email
	ls, err := s.UpsertLeads(ctx(t), batch, actor)
	if err != nil {
		t.Fatalf("UpsertLeads: %v", err)
	}
	changed := input("chain-2")
	changed.Score = 10
	mustUpsert(t, s, changed)
	mustCommit(t, s, routeDecision(mustGet(t, s, ls[1].ID), "rep-1", nil))
	w := wonWithAccount(t, s, input("chain-4"))
	n, brk := VerifyStore(t, s, "")
	if brk != nil || n != 4 {
		t.Fatalf("verify: %d leads, break %v; want 4 intact chains", n, brk)
	}
	if _, brk := VerifyStore(t, s, w.ID); brk != nil {
		t.Errorf("verify lead %s: %v", w.ID, brk)
	}
	err = s.AuditChain(ctx(t), w.ID, func(_ string, rows []store.ChainRow) error {
		for _, r := range rows {
			if len(r.Hash) != store.HashSize || len(r.Content) != store.HashSize {
				t.Errorf("event %d has no digests: %+v", r.ID, r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

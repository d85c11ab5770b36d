package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func testCRUD(t *testing.T, s store.Store) {
	if err := s.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	before := time.Now().Add(-time.Second)
	in := input("crm-1")
	l, created, err := s.UpsertLead(ctx(t), in, actor)
	if err != nil || !created {
		t.Fatalf("UpsertLead = %v, created=%v", err, created)
	}
	if l.ID == "" || l.Version != 1 || l.Stage != lead.StageNew || l.CreatedAt.Before(before) || !l.CreatedAt.Equal(l.UpdatedAt) {
		t.Fatalf("new lead: %+v", l)
	}
	got := mustGet(t, s, l.ID)
	if !reflect.DeepEqual(got, l) {
		t.Fatalf("GetLead = %+v\nwant %+v", got, l)
	}
	want := lead.Lead{ID: l.ID, ExternalID: "crm-1", Email: in.Email, Name: in.Name, Company: in.Company,
		Domain: in.Domain, Country: in.Country, Industry: in.Industry, Employees: in.Employees,
		Source: in.Source, Campaign: in.Campaign, Score: in.Score, Attributes: in.Attributes,
		Stage: lead.StageNew, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, Version: 1}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("stored lead = %+v\nwant %+v", *got, want)
	}
	byExt, err := s.GetLeadByExternalID(ctx(t), "crm-1")
	if err != nil || byExt.ID != l.ID {
		t.Fatalf("GetLeadByExternalID = %v, %v", byExt, err)
	}

	// Without an external id every call creates a lead.
	a := mustUpsert(t, s, input(""))
	b := mustUpsert(t, s, input(""))
	if a.ID == b.ID || a.ExternalID != "" {
		t.Fatalf("leads without external id: %s %s", a.ID, b.ID)
	}
	if n := countLeads(t, s); n != 3 {
		t.Fatalf("%d leads, want 3", n)
	}

	for _, id := range []string{"00000000-0000-7000-8000-000000000000", "not-a-uuid", ""} {
		_, err := s.GetLead(ctx(t), id)
		wantErr(t, err, store.ErrNotFound)
		_, err = s.Apply(ctx(t), id, activity(lead.ActivityQualify))
		wantErr(t, err, store.ErrNotFound)
		_, err = s.Audit(ctx(t), id)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = s.GetLeadByExternalID(ctx(t), "nope")
	wantErr(t, err, store.ErrNotFound)
	ghost := *l
	ghost.ID = "00000000-0000-7000-8000-000000000000"
	_, err = s.Update(ctx(t), &ghost)
	wantErr(t, err, store.ErrNotFound)
}

func testAccounts(t *testing.T, s store.Store) {
	_, err := s.GetAccount(ctx(t), "example.com")
	wantErr(t, err, store.ErrNotFound)
	if err := s.UpsertAccount(ctx(t), store.Account{Domain: " Example.COM ", Name: "Example", Owner: "rep-1"}); err != nil {
		t.Fatal(err)
	}
	a, err := s.GetAccount(ctx(t), "example.com")
	if err != nil || a.Owner != "rep-1" || a.Name != "Example" || a.Domain != "example.com" || a.UpdatedAt.IsZero() {
		t.Fatalf("GetAccount = %+v, %v", a, err)
	}
	if err := s.UpsertAccount(ctx(t), store.Account{Domain: "example.com", Owner: "rep-2"}); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.GetAccount(ctx(t), "EXAMPLE.com"); a == nil || a.Owner != "rep-2" {
		t.Fatalf("account after update: %+v", a)
	}
	err = s.UpsertAccount(ctx(t), store.Account{Owner: "rep-3"})
	wantErr(t, err, store.ErrInvalid)
	testAccountMatching(t, s)
}

func testUpsertIdempotent(t *testing.T, s store.Store) {
	in := input("crm-7")
	first, created, err := s.UpsertLead(ctx(t), in, actor)
	if err != nil || !created {
		t.Fatalf("first upsert: %v %v", created, err)
	}
	// Same input, also with cosmetic differences and a rebuilt attribute map: nothing happens.
	same := input("crm-7")
	same.Domain, same.Company = "EXAMPLE.com ", " Example GmbH"
	same.Attributes = map[string]any{"seats": 12.0, "plan": "pro"}
	for range 3 {
		again, created, err := s.UpsertLead(ctx(t), same, "someone-else")
		if err != nil || created {
			t.Fatalf("repeat upsert: created=%v err=%v", created, err)
		}
		if err := sameLead(first, again); err != nil {
			t.Fatal(err)
		}
	}
	if evs := mustAudit(t, s, first.ID); len(evs) != 1 || evs[0].Type != store.EventCreated {
		t.Fatalf("audit after idempotent upserts: %+v", evs)
	}

	changed := input("crm-7")
	changed.Score = 90
	changed.Attributes = map[string]any{"plan": "enterprise"}
	upd, created, err := s.UpsertLead(ctx(t), changed, "marketing-sync")
	if err != nil || created {
		t.Fatalf("changed upsert: created=%v err=%v", created, err)
	}
	if upd.ID != first.ID || upd.Version != 2 || upd.Score != 90 || upd.Attributes["plan"] != "enterprise" || !upd.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("after change: %+v", upd)
	}
	evs := mustAudit(t, s, first.ID)
	if len(evs) != 2 || evs[1].Type != store.EventUpdated || evs[1].Actor != "marketing-sync" {
		t.Fatalf("audit after change: %+v", evs)
	}
	// An upsert never moves the lifecycle: a qualified lead stays qualified.
	q, err := s.Apply(ctx(t), first.ID, activity(lead.ActivityQualify))
	if err != nil {
		t.Fatal(err)
	}
	changed.Score = 91
	after, _, err := s.UpsertLead(ctx(t), changed, actor)
	if err != nil || after.Stage != lead.StageQualified || after.Version != q.Version+1 {
		t.Fatalf("upsert of a qualified lead: %+v %v", after, err)
	}
}

func testUpsertValidation(t *testing.T, s store.Store) {
	bad := []struct {
		name  string
		in    store.LeadInput
		actor string
		field string
	}{
		{"bad email", store.LeadInput{ExternalID: "x", Email: "not-an-email"}, actor, "email"},
		{"display name in email", store.LeadInput{ExternalID: "x", Email: "Jane <jane@example.com>"}, actor, "email"},
		{"negative employees", store.LeadInput{ExternalID: "x", Employees: -1}, actor, "employees"},
		{"control character", store.LeadInput{ExternalID: "x\x00y"}, actor, "externalId"},
		{"long external id", store.LeadInput{ExternalID: string(make([]byte, 300))}, actor, "externalId"},
		{"no actor", store.LeadInput{ExternalID: "x"}, "", "actor"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.UpsertLead(ctx(t), tt.in, tt.actor)
			var fe *store.FieldError
			if !errors.Is(err, store.ErrInvalid) || !errors.As(err, &fe) || fe.Path != tt.field {
				t.Fatalf("err = %v, want a FieldError on %s", err, tt.field)
			}
			if tt.in.Email != "" && containsString(err.Error(), tt.in.Email) {
				t.Fatalf("error %q quotes the email", err)
			}
		})
	}
	if n := countLeads(t, s); n != 0 {
		t.Fatalf("%d leads stored by invalid input", n)
	}
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

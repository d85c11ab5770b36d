package storetest

import (
	"maps"
	"testing"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// normalizedTests cover what ingest normalization (internal/validate.NormalizeLead) hands the
// store: the phone in E.164 and the original record round-trip on every path that writes or reads
// a lead, and take part in the upsert's "did anything change" comparison.
var normalizedTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"PhoneAndOriginalRoundTrip", testPhoneOriginalRoundTrip},
}

func testPhoneOriginalRoundTrip(t *testing.T, s store.Store) {
	orig := map[string]string{"email": "Jane.Doe@EU.Example.com", "domain": "", "country": "Germany", "phone": "030 1234567"}
	in := input("norm-1")
	in.Email, in.Domain, in.Country, in.Phone = "jane.doe@eu.example.com", "example.com", "DE", "+49301234567"
	in.Original = maps.Clone(orig)
	check := func(what string, l *lead.Lead, phone string, want map[string]string) {
		t.Helper()
		if l.Phone != phone || !maps.Equal(l.Original, want) {
			t.Fatalf("%s: phone %q original %v, want %q %v", what, l.Phone, l.Original, phone, want)
		}
	}
	created := mustUpsert(t, s, in)
	check("UpsertLead", created, "+49301234567", orig)
	check("GetLead", mustGet(t, s, created.ID), "+49301234567", orig)
	byExt, err := s.GetLeadByExternalID(ctx(t), "norm-1")
	if err != nil {
		t.Fatal(err)
	}
	check("GetLeadByExternalID", byExt, "+49301234567", orig)

	// The same input again changes nothing; a new phone or a new original is a change.
	again := mustUpsert(t, s, in)
	if again.Version != created.Version {
		t.Fatalf("repeating the input bumped the version: %d → %d", created.Version, again.Version)
	}
	in.Phone = "+493012345678"
	in.Original = map[string]string{"phone": "030 12345678"}
	upd := mustUpsert(t, s, in)
	if upd.Version != created.Version+1 {
		t.Fatalf("new phone: version %d, want %d", upd.Version, created.Version+1)
	}
	check("changed", mustGet(t, s, created.ID), "+493012345678", map[string]string{"phone": "030 12345678"})
	// A source that sends canonical values leaves no original.
	in.Original = nil
	cleared := mustUpsert(t, s, in)
	check("cleared", mustGet(t, s, cleared.ID), "+493012345678", nil)

	// The batch path: created leads are built from their input, updated ones read back.
	b1, b2 := input("norm-b1"), input("norm-b2")
	b1.Phone, b1.Original = "+14155552671", map[string]string{"phone": "(415) 555-2671", "country": "USA"}
	b1.Country = "US"
	ls, err := s.UpsertLeads(ctx(t), []store.LeadInput{b1, b2}, actor)
	if err != nil {
		t.Fatal(err)
	}
	check("UpsertLeads created", ls[0], b1.Phone, b1.Original)
	check("UpsertLeads without phone", ls[1], "", nil)
	check("GetLead after batch", mustGet(t, s, ls[0].ID), b1.Phone, b1.Original)
	b1.Phone = "+14155552672"
	ls, err = s.UpsertLeads(ctx(t), []store.LeadInput{b1}, actor)
	if err != nil {
		t.Fatal(err)
	}
	check("UpsertLeads updated", ls[0], "+14155552672", b1.Original)

	// Lifecycle writes keep them.
	q, err := s.Apply(ctx(t), ls[0].ID, activity(lead.ActivityQualify))
	if err != nil {
		t.Fatal(err)
	}
	check("Apply", q, "+14155552672", b1.Original)
	page, err := s.ListLeads(ctx(t), store.ListFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range page.Leads {
		if l.ID == ls[0].ID {
			check("ListLeads", l, "+14155552672", b1.Original)
		}
	}
}

package validate

import (
	"math"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func TestLead(t *testing.T) {
	ok := store.LeadInput{ExternalID: "L1", Email: "ann@example.com", Domain: "example.com", Score: 10}
	for _, tc := range []struct {
		name   string
		mutate func(*store.LeadInput)
		path   string // "" means valid
	}{
		{"valid", func(*store.LeadInput) {}, ""},
		{"domain is lower-cased like the store does", func(in *store.LeadInput) { in.Domain = "Example.COM" }, ""},
		{"blanks are trimmed like the store does", func(in *store.LeadInput) { in.Company = " Acme " }, ""},
		{"no external id", func(in *store.LeadInput) { in.ExternalID = "" }, "externalId"},
		{"display name in email", func(in *store.LeadInput) { in.Email = "Ann <ann@example.com>" }, "email"},
		{"email without dot in domain", func(in *store.LeadInput) { in.Email = "ann@localhost" }, "email"},
		{"email garbage", func(in *store.LeadInput) { in.Email = "ann" }, "email"},
		{"negative employees", func(in *store.LeadInput) { in.Employees = -1 }, "employees"},
		{"negative score", func(in *store.LeadInput) { in.Score = -1 }, "score"},
		{"score too high", func(in *store.LeadInput) { in.Score = MaxScore + 1 }, "score"},
		{"overlong company", func(in *store.LeadInput) { in.Company = strings.Repeat("x", MaxShortText+1) }, "company"},
		{"control character", func(in *store.LeadInput) { in.Name = "a\x00b" }, "name"},
		{"invalid utf-8", func(in *store.LeadInput) { in.Campaign = "\xff" }, "campaign"},
		{"domain with scheme is reduced", func(in *store.LeadInput) { in.Domain = "https://www.example.com/x" }, ""},
		{"public suffix as domain", func(in *store.LeadInput) { in.Domain = "co.uk" }, "domain"},
		{"unknown country", func(in *store.LeadInput) { in.Country = "Atlantis" }, "country"},
		{"country name", func(in *store.LeadInput) { in.Country = "Germany" }, ""},
		{"national phone in the lead's country", func(in *store.LeadInput) { in.Country, in.Phone = "DE", "030 1234567" }, ""},
		{"national phone without a country", func(in *store.LeadInput) { in.Phone = "030 1234567" }, "phone"},
		{"not a phone number", func(in *store.LeadInput) { in.Country, in.Phone = "US", "12" }, "phone"},
		{"unknown original key", func(in *store.LeadInput) { in.Original = map[string]string{"score": "9"} }, "original"},
		{"single-label domain", func(in *store.LeadInput) { in.Domain = "example" }, "domain"},
		{"empty attribute key", func(in *store.LeadInput) { in.Attributes = map[string]any{"": 1} }, "attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.mutate(&in)
			errs := Lead("leads[2]", in)
			if tc.path == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Path != "leads[2]."+tc.path {
				t.Fatalf("errors = %v, want one on leads[2].%s", errs, tc.path)
			}
		})
	}
}

func TestLeadsFindsDuplicatesAndEveryItem(t *testing.T) {
	errs := Leads("leads", []store.LeadInput{
		{ExternalID: "A"}, {ExternalID: "B", Score: -1}, {ExternalID: "A"}, {Email: "x"},
	})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"leads[1].score: must be between 0 and 1000",
		"leads[2].externalId: repeats the external id of leads[0]",
		"leads[3].externalId: is required",
		"leads[3].email: is not a valid email address: missing '@' or angle-addr",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestActivity(t *testing.T) {
	for _, tc := range []struct {
		a    store.Activity
		path string
	}{
		{store.Activity{Kind: store.ActivityTouch}, ""},
		{store.Activity{Kind: store.ActivityReject, Reason: "no budget"}, ""},
		{store.Activity{Kind: store.ActivityWin, Amount: 30000}, ""},
		{store.Activity{Kind: store.ActivityLose, Reason: "went with a competitor"}, ""},
		{store.Activity{Kind: store.ActivityReject}, "reason"},
		{store.Activity{Kind: store.ActivityDisqualify}, "reason"},
		{store.Activity{Kind: store.ActivityWin}, "amount"},
		{store.Activity{Kind: store.ActivityWin, Amount: -5}, "amount"},
		{store.Activity{Kind: store.ActivityWin, Amount: math.Inf(1)}, "amount"},
		{store.Activity{Kind: store.ActivityTouch, Amount: 5}, "amount"},
		{store.Activity{Kind: "route"}, "kind"},
		{store.Activity{Kind: ""}, "kind"},
		{store.Activity{Kind: store.ActivityReject, Reason: strings.Repeat("x", lead.MaxReasonLength+1)}, "reason"},
	} {
		errs := Activity("", tc.a)
		switch {
		case tc.path == "" && len(errs) > 0:
			t.Errorf("%+v: unexpected %v", tc.a, errs)
		case tc.path != "" && (len(errs) != 1 || errs[0].Path != tc.path):
			t.Errorf("%+v: errors %v, want one on %s", tc.a, errs, tc.path)
		}
	}
}

func TestAccount(t *testing.T) {
	if errs := Account("", store.Account{Domain: "acme.com", Owner: "alice"}); len(errs) != 0 {
		t.Fatal(errs)
	}
	errs := Account("", store.Account{Domain: "acme", Owner: ""})
	if len(errs) != 2 || errs[0].Path != "domain" || errs[1].Path != "owner" {
		t.Fatalf("got %v", errs)
	}
}

// TestLimitsWithinTheStore: whatever the API and the CSV import accept, the store accepts too, so a
// lead that passes validation is never refused by the store's own checks.
func TestLimitsWithinTheStore(t *testing.T) {
	for _, tc := range []struct {
		name         string
		limit, store int
	}{
		{"MaxIDLength", MaxIDLength, store.MaxTextLength},
		{"MaxNameLength", MaxNameLength, store.MaxTextLength},
		{"MaxShortText", MaxShortText, store.MaxTextLength},
		{"MaxDomainLength", MaxDomainLength, store.MaxTextLength},
		{"MaxEmailLength", MaxEmailLength, store.MaxEmailLength},
		{"MaxAttributeJSON", MaxAttributeJSON, store.MaxAttributesBytes},
	} {
		if tc.limit > tc.store {
			t.Errorf("validate.%s = %d, over the store's %d", tc.name, tc.limit, tc.store)
		}
	}
}

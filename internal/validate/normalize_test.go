package validate

import (
	"maps"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// TestNormalizeLead: what ingest stores for messy inputs, and the original record it keeps.
func TestNormalizeLead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, want store.LeadInput
	}{
		{
			name: "messy lead",
			in: store.LeadInput{ExternalID: "L1", Email: " Jane.Doe@EU.Acme.co.uk ", Company: "ACME, Inc.",
				Country: "United Kingdom", Phone: "020 7946 0018"},
			want: store.LeadInput{ExternalID: "L1", Email: "jane.doe@eu.acme.co.uk", Company: "ACME, Inc.",
				Domain: "acme.co.uk", Country: "GB", Phone: "+442079460018",
				Original: map[string]string{"email": " Jane.Doe@EU.Acme.co.uk ", "domain": "", "country": "United Kingdom", "phone": "020 7946 0018"}},
		},
		{
			name: "free-mail gives no domain",
			in:   store.LeadInput{ExternalID: "L2", Email: "Bob@Gmail.com", Country: "de"},
			want: store.LeadInput{ExternalID: "L2", Email: "bob@gmail.com", Country: "DE",
				Original: map[string]string{"email": "Bob@Gmail.com", "country": "de"}},
		},
		{
			name: "sent domain wins over the email's, reduced",
			in:   store.LeadInput{ExternalID: "L3", Email: "ann@acme-mail.com", Domain: "https://shop.Acme.com.au/x"},
			want: store.LeadInput{ExternalID: "L3", Email: "ann@acme-mail.com", Domain: "acme.com.au",
				Original: map[string]string{"domain": "https://shop.Acme.com.au/x"}},
		},
		{
			name: "canonical input keeps no original",
			in:   store.LeadInput{ExternalID: "L4", Email: "ann@acme.com", Domain: "acme.com", Country: "US", Phone: "+14155552671"},
			want: store.LeadInput{ExternalID: "L4", Email: "ann@acme.com", Domain: "acme.com", Country: "US", Phone: "+14155552671"},
		},
		{
			name: "an original sent along (a CSV import through the API) wins",
			in: store.LeadInput{ExternalID: "L5", Email: "ann@acme.com", Domain: "acme.com", Country: "DE",
				Original: map[string]string{"country": "Deutschland"}},
			want: store.LeadInput{ExternalID: "L5", Email: "ann@acme.com", Domain: "acme.com", Country: "DE",
				Original: map[string]string{"country": "Deutschland"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := NormalizeLead("", tc.in)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if !maps.Equal(got.Original, tc.want.Original) {
				t.Errorf("original = %v, want %v", got.Original, tc.want.Original)
			}
			got.Original, tc.want.Original = nil, nil
			if got.Email != tc.want.Email || got.Domain != tc.want.Domain || got.Country != tc.want.Country ||
				got.Phone != tc.want.Phone || got.Company != tc.want.Company {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			// Normalizing again changes nothing and adds nothing.
			again, errs := NormalizeLead("", got)
			if len(errs) > 0 || again.Email != got.Email || again.Domain != got.Domain || again.Country != got.Country ||
				again.Phone != got.Phone || len(again.Original) != 0 {
				t.Errorf("not idempotent: %+v %v", again, errs)
			}
		})
	}
}

// TestNormalizeLeadsInParallelKeepsOrder: a batch large enough to be spread over goroutines comes
// back in input order with paths of the right index.
func TestNormalizeLeadsInParallelKeepsOrder(t *testing.T) {
	ins := make([]store.LeadInput, 1000)
	for i := range ins {
		ins[i] = store.LeadInput{ExternalID: string(rune('A'+i%26)) + string(rune('0'+i/26%10)) + string(rune('a'+i/260)), Country: "Germany"}
	}
	ins[777].Country = "Atlantis"
	out, errs := NormalizeLeads("leads", ins)
	if len(errs) != 1 || errs[0].Path != "leads[777].country" {
		t.Fatalf("errs = %v", errs)
	}
	for i := range out {
		if out[i].ExternalID != ins[i].ExternalID || (i != 777 && out[i].Country != "DE") {
			t.Fatalf("item %d = %+v", i, out[i])
		}
	}
}

package api_test

import (
	"context"
	"maps"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// TestIngestNormalizes: messy values through the API (single and batch) are stored normalized, the
// values as sent come back in "original", and a repeat of the same messy input changes nothing.
func TestIngestNormalizes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		in := store.LeadInput{ExternalID: "N-1", Email: "  Jane.Doe@EU.Acme.co.uk", Company: "ACME, Inc.",
			Country: "Deutschland", Phone: "030 1234567"}
		l, created, err := ts.hubspot.UpsertLead(ctx, in)
		if err != nil || !created {
			t.Fatalf("upsert: created=%v err=%v", created, err)
		}
		wantOrig := map[string]string{"email": "  Jane.Doe@EU.Acme.co.uk", "domain": "", "country": "Deutschland", "phone": "030 1234567"}
		got, err := ts.alice.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		g := got.Lead
		if g.Email != "jane.doe@eu.acme.co.uk" || g.Domain != "acme.co.uk" || g.Country != "DE" ||
			g.Phone != "+49301234567" || g.Company != "ACME, Inc." || !maps.Equal(g.Original, wantOrig) {
			t.Fatalf("GET returned %+v (original %v)", g, g.Original)
		}
		again, created, err := ts.hubspot.UpsertLead(ctx, in)
		if err != nil || created || again.Version != l.Version {
			t.Fatalf("repeat: created=%v err=%v version %d→%d", created, err, l.Version, again.Version)
		}

		ls, err := ts.hubspot.UpsertLeads(ctx, []store.LeadInput{
			{ExternalID: "N-2", Email: "Bob@GMAIL.com", Country: "usa", Phone: "(415) 555-2671"},
			{ExternalID: "N-3", Domain: "https://www.Initech.com.au/about", Country: "AUS"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if b := ls[0]; b.Email != "bob@gmail.com" || b.Domain != "" || b.Country != "US" || b.Phone != "+14155552671" {
			t.Fatalf("batch item 0: %+v", b)
		}
		if b := ls[1]; b.Domain != "initech.com.au" || b.Country != "AU" || b.Original["domain"] != "https://www.Initech.com.au/about" {
			t.Fatalf("batch item 1: %+v", b)
		}
	})
}

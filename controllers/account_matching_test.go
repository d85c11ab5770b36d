package controllers

import (
	"context"
	"strings"
	"testing"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestAccountMatchingRoutesToOwner: the sample policy's AccountOwner rule gives a lead to the owner of
// the account it matches by domain (any of the account's domains), by subdomain and by company name,
// records the match in the routed audit entry, and never matches a free-mail domain.
func TestAccountMatchingRoutesToOwner(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_", "leadpolicy")
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			ctx := context.Background()
			if _, err := c.UpsertAccount(ctx, store.Account{Domain: "acme.com", Domains: []string{"acme.com", "acme.io"}, CompanyKey: "ACME, Inc.", Owner: "ae-02"}); err != nil {
				t.Fatal(err)
			}
			// An account on a free-mail domain (a data-entry mistake) must never attract leads by it.
			if err := e.store.UpsertAccount(ctx, store.Account{Domain: "gmail.com", Owner: "ae-03"}); err != nil {
				t.Fatal(err)
			}

			byDomain := createLead(t, c, store.LeadInput{ExternalID: "by-domain", Email: "b@acme.io", Employees: 10, Score: 80, Source: "web"})
			byCompany := createLead(t, c, store.LeadInput{ExternalID: "by-company", Email: "c@acme-holdings.example", Company: "Acme Inc", Employees: 10, Score: 80, Source: "web"})
			freeMail := createLead(t, c, store.LeadInput{ExternalID: "free-mail", Email: "jane@gmail.com", Company: "Someone Else", Employees: 10, Score: 80, Source: "web"})
			// A writer that stores the host as sent (no ingest normalization): matched by its subdomain.
			sub, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: "by-subdomain", Domain: "eu.acme.io", Employees: 10, Score: 80, Source: "web"}, "test")
			if err != nil {
				t.Fatal(err)
			}

			for _, tc := range []struct {
				l                 *lead.Lead
				basis, on, phrase string
				confidence        float64
			}{
				{byDomain, "domain", "acme.io", "matched account acme.com by domain 'acme.io'", 1},
				{sub, "subdomain", "eu.acme.io", "matched account acme.com by subdomain 'eu.acme.io'", 0.9},
				{byCompany, "company name", "Acme Inc", "matched account acme.com by company name 'Acme Inc'", 0.7},
			} {
				e.eventuallyLead(tc.l.ID, "the account owner ae-02", ownedBy("ae-02"))
				routed := e.audit(tc.l.ID, "routed")
				if len(routed) != 1 {
					t.Fatalf("%s: routed audit entries %+v", tc.l.ExternalID, routed)
				}
				acct, _ := routed[0].Data["account"].(map[string]any)
				if acct["basis"] != tc.basis || acct["on"] != tc.on || acct["confidence"] != tc.confidence || acct["domain"] != "acme.com" ||
					!strings.Contains(routed[0].Reason, tc.phrase) {
					t.Fatalf("%s: routed audit entry %q %+v; want %q, basis %s, confidence %v", tc.l.ExternalID, routed[0].Reason, routed[0].Data, tc.phrase, tc.basis, tc.confidence)
				}
			}
			got := e.eventuallyLead(freeMail.ID, "an SDR", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted && strings.HasPrefix(l.Owner, "sdr-") })
			if routed := e.audit(got.ID, "routed"); len(routed) != 1 || routed[0].Data["account"] != nil {
				t.Fatalf("free-mail lead matched an account: %+v", routed)
			}
		})
	}
}

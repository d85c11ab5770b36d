package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// TestAccountDomainsAndCompanyName: an account written through the API with several domains and a
// company name is found by any of its domains and stores the company name's key; bad extra domains
// are a 422 with their path and the store is unchanged.
func TestAccountDomainsAndCompanyName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		a, err := ts.hubspot.UpsertAccount(ctx, store.Account{Domain: "acme.com", Domains: []string{"acme.com", "ACME.io"}, CompanyKey: "ACME, Inc.", Owner: "bob"})
		if err != nil || a.Domain != "acme.com" || !reflect.DeepEqual(a.Domains, []string{"acme.com", "acme.io"}) || a.CompanyKey != "acme" {
			t.Fatalf("upsert account: %v %+v", err, a)
		}
		r := ts.do(t, "GET", "/v1/accounts/acme.io", "", "Bearer "+tokenHubspot, nil)
		if r.status != http.StatusOK {
			t.Fatalf("account by its second domain: %d %s", r.status, r.body)
		}
		r = ts.do(t, "PUT", "/v1/accounts/globex.com", "application/json", "Bearer "+tokenHubspot, []byte(`{"owner":"bob","domains":["globex.io","not a domain"]}`))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "domains[1]") {
			t.Fatalf("bad extra domain: %d %s", r.status, r.body)
		}
		if _, err := st.GetAccount(ctx, "globex.io"); err == nil {
			t.Fatal("a refused account was stored")
		}
	})
}

package accountmatch

import (
	"reflect"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

func TestFind(t *testing.T) {
	acme := store.Account{Domain: "acme.com", Domains: []string{"acme.com", "acme.io"}, CompanyKey: "acme", Owner: "alice"}
	acmeUK := store.Account{Domain: "acme.co.uk", Owner: "uma"}
	euAcme := store.Account{Domain: "eu.acme.com", Owner: "eve"}
	globex := store.Account{Domain: "globex.example", CompanyKey: "globex", Owner: "bob"}
	globex2 := store.Account{Domain: "globex-corp.example", CompanyKey: "globex", Owner: "carol"}
	globex3 := store.Account{Domain: "aaa-globex.example", CompanyKey: "globex", Owner: "bob"}
	gmailAcct := store.Account{Domain: "gmail.com", CompanyKey: "google", Owner: "mallory"}
	old := store.Account{Domain: "initech.example", Owner: "ivan"} // written before accounts had Domains
	all := []store.Account{acme, acmeUK, euAcme, globex, globex2, gmailAcct, old}

	tests := []struct {
		name                   string
		domain, email, company string
		accounts               []store.Account
		want                   string // account domain, "" for no match
		basis                  Basis
		on                     string
		confidence             float64
		ties                   int
	}{
		{name: "domain", domain: "acme.com", want: "acme.com", basis: ByDomain, on: "acme.com", confidence: DomainConfidence},
		{name: "second domain of the account", domain: "acme.io", want: "acme.com", basis: ByDomain, on: "acme.io", confidence: DomainConfidence},
		{name: "domain case and spaces", domain: " ACME.com. ", want: "acme.com", basis: ByDomain, on: "acme.com", confidence: DomainConfidence},
		{name: "email domain when the lead has none", email: "jane@acme.io", want: "acme.com", basis: ByDomain, on: "acme.io", confidence: DomainConfidence},
		{name: "subdomain to registrable domain", domain: "sales.acme.io", want: "acme.com", basis: BySubdomain, on: "sales.acme.io", confidence: SubdomainConfidence},
		{name: "deep subdomain", domain: "a.b.c.acme.io", want: "acme.com", basis: BySubdomain, on: "a.b.c.acme.io", confidence: SubdomainConfidence},
		{name: "subdomain account is exact before its parent", domain: "eu.acme.com", want: "eu.acme.com", basis: ByDomain, on: "eu.acme.com", confidence: DomainConfidence},
		{name: "nearest parent wins", domain: "paris.eu.acme.com", want: "eu.acme.com", basis: BySubdomain, on: "paris.eu.acme.com", confidence: SubdomainConfidence},
		{name: "email subdomain", email: "jo@mail.acme.io", want: "acme.com", basis: BySubdomain, on: "mail.acme.io", confidence: SubdomainConfidence},
		{name: "multi-part suffix co.uk", domain: "shop.acme.co.uk", want: "acme.co.uk", basis: BySubdomain, on: "shop.acme.co.uk", confidence: SubdomainConfidence},
		{name: "co.uk is not acme.com", domain: "acme.co.uk", accounts: []store.Account{acme}, want: ""},
		{name: "never walks past the registrable domain", domain: "other.co.uk", accounts: []store.Account{{Domain: "co.uk", Owner: "x"}}, want: ""},
		{name: "domain before company name", domain: "acme.co.uk", company: "Globex", want: "acme.co.uk", basis: ByDomain, on: "acme.co.uk", confidence: DomainConfidence},
		{name: "lead domain before email domain", domain: "acme.io", email: "x@globex.example", want: "acme.com", basis: ByDomain, on: "acme.io", confidence: DomainConfidence},
		{name: "email domain when the lead domain matches nothing", domain: "unknown.example", email: "x@acme.io", want: "acme.com", basis: ByDomain, on: "acme.io", confidence: DomainConfidence},
		{name: "company name", domain: "unknown.example", company: "ACME, Inc.", want: "acme.com", basis: ByCompanyName, on: "ACME, Inc.", confidence: CompanyConfidence},
		{name: "company name with legal suffix", company: "Acme LLC", want: "acme.com", basis: ByCompanyName, on: "Acme LLC", confidence: CompanyConfidence},
		{name: "company name, no domain at all", company: "acme", want: "acme.com", basis: ByCompanyName, on: "acme", confidence: CompanyConfidence},
		{name: "free-mail email never matches its domain", email: "jane@gmail.com", want: ""},
		{name: "free-mail domain never matches", domain: "gmail.com", want: ""},
		{name: "free-mail subdomain never matches", domain: "mail.yahoo.co.uk", accounts: []store.Account{{Domain: "yahoo.co.uk", Owner: "x"}}, want: ""},
		{name: "free-mail email, company name still matches", email: "jane@gmail.com", company: "ACME Inc", want: "acme.com", basis: ByCompanyName, on: "ACME Inc", confidence: CompanyConfidence},
		{name: "free-mail email, then the company domain", domain: "acme.io", email: "jane@gmail.com", want: "acme.com", basis: ByDomain, on: "acme.io", confidence: DomainConfidence},
		{name: "old single-domain account", domain: "initech.example", want: "initech.example", basis: ByDomain, on: "initech.example", confidence: DomainConfidence},
		{name: "old single-domain account by subdomain", domain: "hq.initech.example", accounts: []store.Account{{Domain: "initech.example", Owner: "ivan"}}, want: "initech.example", basis: BySubdomain, on: "hq.initech.example", confidence: SubdomainConfidence},
		{name: "no company key on the account", company: "Initech", want: ""},
		{name: "empty company", company: "  ", want: ""},
		{name: "nothing", want: ""},
		{name: "not a domain", domain: "localhost", want: ""},
		{name: "tie between owners: first by domain, low confidence", company: "Globex Corporation", want: "globex-corp.example", basis: ByCompanyName, on: "Globex Corporation", confidence: TieConfidence, ties: 1},
		{name: "same owner is no tie", company: "Globex", accounts: []store.Account{globex, globex3}, want: "aaa-globex.example", basis: ByCompanyName, on: "Globex", confidence: CompanyConfidence},
		{name: "three-way tie counts other owners", company: "globex", accounts: []store.Account{globex3, globex, globex2}, want: "aaa-globex.example", basis: ByCompanyName, on: "globex", confidence: TieConfidence, ties: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accounts := tt.accounts
			if accounts == nil {
				accounts = all
			}
			k := KeysOf(tt.domain, tt.email, tt.company)
			m, ok := Find(k, accounts)
			if tt.want == "" {
				if ok {
					t.Fatalf("matched %s, want no match", m)
				}
				return
			}
			if !ok {
				t.Fatalf("no match, want %s (keys %+v)", tt.want, k)
			}
			got := []any{m.Account.Domain, m.Basis, m.On, m.Confidence, m.Ties}
			want := []any{tt.want, tt.basis, tt.on, tt.confidence, tt.ties}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestDomainsLeavesFreeMailOut(t *testing.T) {
	k := KeysOf("eu.acme.co.uk", "jane@gmail.com", "")
	if got, want := k.Domains(), []string{"eu.acme.co.uk", "acme.co.uk"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Domains() = %v, want %v", got, want)
	}
}

func TestString(t *testing.T) {
	m := Match{Account: store.Account{Domain: "acme.com"}, Basis: ByCompanyName, On: "ACME, Inc.", Confidence: CompanyConfidence}
	if got, want := m.String(), "matched account acme.com by company name 'ACME, Inc.'"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

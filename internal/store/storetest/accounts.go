package storetest

import (
	"reflect"
	"testing"

	"github.com/leadops/leadops/internal/accountmatch"
	"github.com/leadops/leadops/internal/store"
)

// testAccountMatching: accounts with several domains and a company key, looked up by any domain and
// by company key; a domain claimed by another account moves; accounts written with one domain keep
// working; and the lookups feed internal/accountmatch, which matches by domain, subdomain and company
// name to the owner and never by a free-mail domain.
func testAccountMatching(t *testing.T, s store.Store) {
	put := func(a store.Account) {
		t.Helper()
		if err := s.UpsertAccount(ctx(t), a); err != nil {
			t.Fatalf("UpsertAccount(%+v): %v", a, err)
		}
	}
	put(store.Account{Domain: "acme.example", Domains: []string{"ACME.io", "acme.example", "acme-corp.example"}, CompanyKey: "ACME, Inc.", Name: "ACME", Owner: "alice"})
	put(store.Account{Domain: "initech.example", Owner: "ivan"})
	put(store.Account{Domain: "globex.example", CompanyKey: "Globex", Owner: "bob"})
	put(store.Account{Domain: "gmail.com", CompanyKey: "Google", Owner: "mallory"}) // never matched by domain

	a, err := s.GetAccount(ctx(t), "acme.io")
	if err != nil || a.Domain != "acme.example" || a.Owner != "alice" || a.CompanyKey != "acme" ||
		!reflect.DeepEqual(a.Domains, []string{"acme.example", "acme-corp.example", "acme.io"}) {
		t.Fatalf("GetAccount(acme.io) = %+v, %v", a, err)
	}
	if a, err := s.GetAccount(ctx(t), "initech.example"); err != nil || !reflect.DeepEqual(a.Domains, []string{"initech.example"}) || a.CompanyKey != "" {
		t.Fatalf("single-domain account = %+v, %v", a, err)
	}

	find := func(domains, keys []string) []string {
		t.Helper()
		as, err := s.FindAccounts(ctx(t), domains, keys)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.Domain+"="+a.Owner)
		}
		return out
	}
	if got, want := find([]string{"acme-corp.example", "acme.io", "nope.example"}, []string{"globex", "nothing"}),
		[]string{"acme.example=alice", "globex.example=bob"}; !reflect.DeepEqual(got, want) {
		t.Errorf("FindAccounts = %v, want %v (each account once, by domain)", got, want)
	}
	if got := find(nil, []string{""}); got != nil {
		t.Errorf("FindAccounts with an empty key = %v, want none", got)
	}
	if got := find(nil, nil); got != nil {
		t.Errorf("FindAccounts of nothing = %v", got)
	}

	// The account's domains are replaced on upsert: acme-corp.example leaves it.
	put(store.Account{Domain: "acme.example", Domains: []string{"acme.io"}, CompanyKey: "acme", Owner: "alice"})
	if _, err := s.GetAccount(ctx(t), "acme-corp.example"); err == nil {
		t.Errorf("acme-corp.example still finds an account after it was dropped")
	}
	// A domain another account claims moves to it.
	put(store.Account{Domain: "initech.example", Domains: []string{"acme.io"}, Owner: "ivan"})
	if a, err := s.GetAccount(ctx(t), "acme.io"); err != nil || a.Owner != "ivan" {
		t.Fatalf("claimed domain: %+v, %v", a, err)
	}
	put(store.Account{Domain: "acme.example", Domains: []string{"acme.io"}, CompanyKey: "acme", Owner: "alice"})

	for _, tc := range []struct {
		name, domain, email, company, owner string
		basis                               accountmatch.Basis
	}{
		{"domain", "acme.io", "", "", "alice", accountmatch.ByDomain},
		{"primary domain", "acme.example", "", "", "alice", accountmatch.ByDomain},
		{"subdomain", "eu.acme.io", "", "", "alice", accountmatch.BySubdomain},
		{"email subdomain", "", "jo@mail.initech.example", "", "ivan", accountmatch.BySubdomain},
		{"company name", "unknown.example", "", "ACME, Inc.", "alice", accountmatch.ByCompanyName},
		{"company name with free-mail email", "", "jo@gmail.com", "Globex Corporation", "bob", accountmatch.ByCompanyName},
		{"free-mail never", "", "jo@gmail.com", "", "", ""},
		{"free-mail domain never", "gmail.com", "", "", "", ""},
		{"nothing", "unknown.example", "x@unknown.example", "Unknown Ltd", "", ""},
	} {
		k := accountmatch.KeysOf(tc.domain, tc.email, tc.company)
		var keys []string
		if k.CompanyKey != "" {
			keys = []string{k.CompanyKey}
		}
		as, err := s.FindAccounts(ctx(t), k.Domains(), keys)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := accountmatch.Find(k, as)
		if tc.owner == "" {
			if ok {
				t.Errorf("%s: matched %s, want none", tc.name, m)
			}
			continue
		}
		if !ok || m.Account.Owner != tc.owner || m.Basis != tc.basis {
			t.Errorf("%s: match %+v (%v), want owner %s by %s", tc.name, m, ok, tc.owner, tc.basis)
		}
	}
}

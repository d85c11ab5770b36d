// Package accountmatch matches a lead to the account it belongs to: by its domain, then by a parent
// domain of a subdomain (eu.acme.com → acme.com), then by the normalized company name, and never by
// a free-mail domain. It is pure: the caller computes the lead's keys (Keys, with internal/normalize)
// and gathers the candidate accounts from the store's indexed lookup (store FindAccounts).
package accountmatch

import (
	"fmt"
	"sort"
	"strings"

	"github.com/leadops/leadops/internal/store"
)

// Basis is what a match rests on.
type Basis string

const (
	// ByDomain: one of the account's domains is the lead's domain (or its email's domain).
	ByDomain Basis = "domain"
	// BySubdomain: the lead's domain is a subdomain of one of the account's domains.
	BySubdomain Basis = "subdomain"
	// ByCompanyName: the lead's normalized company name is the account's company key.
	ByCompanyName Basis = "company name"
)

// Confidences of each basis; a company-name match shared by accounts of different owners is a tie
// and gets TieConfidence.
const (
	DomainConfidence    = 1.0
	SubdomainConfidence = 0.9
	CompanyConfidence   = 0.7
	TieConfidence       = 0.4
)

// Keys are a lead's matching keys, normalized by the caller.
type Keys struct {
	// Hosts are the lead's domain and its email's domain (lower case, deduplicated, in that order).
	Hosts []string
	// Registrable maps each host to its registrable domain (eu.acme.co.uk → acme.co.uk); a host
	// missing from it is its own registrable domain.
	Registrable map[string]string
	// FreeMail lists the registrable domains that are free-mail or disposable providers: never matched.
	FreeMail map[string]bool
	// Company is the company name as sent (for the audit message); CompanyKey its normalized key.
	Company    string
	CompanyKey string
}

// Domains lists the domains to look up for the keys, in matching order, free-mail left out.
func (k Keys) Domains() []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range k.Hosts {
		for _, d := range k.chain(h) {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// chain is host and its parent domains down to its registrable domain; nil for free-mail.
func (k Keys) chain(host string) []string {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "" {
		return nil
	}
	reg := k.Registrable[host]
	if reg == "" {
		reg = host
	}
	if k.FreeMail[reg] || k.FreeMail[host] {
		return nil
	}
	out := []string{host}
	if host == reg || !strings.HasSuffix(host, "."+reg) {
		return out
	}
	for d := host; d != reg; {
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
		out = append(out, d)
	}
	return out
}

// Match is a lead's account, how it was found and how sure the match is.
type Match struct {
	Account store.Account
	Basis   Basis
	// On is the domain or the company name (as the lead sent it) the match rests on.
	On         string
	Confidence float64
	// Ties counts the other accounts that matched as well as this one (company name only).
	Ties int
}

// String is the match in words for the audit log: "matched account acme.com by company name 'ACME, Inc.'".
func (m Match) String() string {
	s := fmt.Sprintf("matched account %s by %s '%s'", m.Account.Domain, m.Basis, m.On)
	if m.Ties > 0 {
		s += fmt.Sprintf(" (tied with %d other account(s) of other owners; the first by domain wins)", m.Ties)
	}
	return s
}

// Find matches the keys against candidate accounts (any superset of the accounts owning one of
// Domains() or having CompanyKey): the first host's exact domain, then its parent domains, then the
// next host likewise, then the company key. ok is false when nothing matches.
func Find(k Keys, accounts []store.Account) (m Match, ok bool) {
	byDomain := map[string]store.Account{}
	for _, a := range accounts {
		for _, d := range domainsOf(a) {
			byDomain[d] = a
		}
	}
	for _, h := range k.Hosts {
		for i, d := range k.chain(h) {
			a, found := byDomain[d]
			if !found {
				continue
			}
			if i == 0 {
				return Match{Account: a, Basis: ByDomain, On: d, Confidence: DomainConfidence}, true
			}
			return Match{Account: a, Basis: BySubdomain, On: h, Confidence: SubdomainConfidence}, true
		}
	}
	if k.CompanyKey == "" {
		return Match{}, false
	}
	var same []store.Account
	for _, a := range accounts {
		if a.CompanyKey == k.CompanyKey {
			same = append(same, a)
		}
	}
	if len(same) == 0 {
		return Match{}, false
	}
	sort.Slice(same, func(i, j int) bool { return same[i].Domain < same[j].Domain })
	m = Match{Account: same[0], Basis: ByCompanyName, On: k.Company, Confidence: CompanyConfidence}
	if m.On == "" {
		m.On = k.CompanyKey
	}
	for _, a := range same[1:] {
		if a.Owner != same[0].Owner {
			m.Ties++
		}
	}
	if m.Ties > 0 {
		m.Confidence = TieConfidence
	}
	return m, true
}

func domainsOf(a store.Account) []string {
	if len(a.Domains) > 0 {
		return a.Domains
	}
	if a.Domain != "" {
		return []string{a.Domain}
	}
	return nil
}

package accountmatch

import (
	"strings"

	"github.com/leadops/leadops/internal/normalize"
)

// KeysOf computes a lead's matching keys from its domain, email and company name: the hosts (the
// domain, then the email's domain), their registrable domains (Public Suffix List), which of them
// are free-mail, and the company key (normalize.CompanyKey).
func KeysOf(domain, email, company string) Keys {
	k := Keys{Registrable: map[string]string{}, FreeMail: map[string]bool{}, Company: strings.TrimSpace(company)}
	hosts := []string{domain}
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		hosts = append(hosts, email[at+1:])
	}
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == "" || k.Registrable[h] != "" {
			continue
		}
		reg, err := normalize.Domain(h)
		if err != nil {
			continue // not a domain: nothing to match on
		}
		k.Hosts = append(k.Hosts, h)
		k.Registrable[h] = reg
		if normalize.IsFreeMail(h) || normalize.IsFreeMail(reg) {
			k.FreeMail[reg], k.FreeMail[h] = true, true
		}
	}
	k.CompanyKey = normalize.CompanyKey(company)
	return k
}

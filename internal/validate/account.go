package validate

import (
	"fmt"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/store"
)

// MaxAccountDomains bounds an account's domains (docs/api/openapi.yaml repeats it).
const MaxAccountDomains = 50

// AccountMatching checks what an account is matched by besides its domain: its other domains and
// its company name (stored as its normalized key).
func AccountMatching(prefix string, a store.Account) fielderr.List {
	c := &collector{prefix: prefix}
	if len(a.Domains) > MaxAccountDomains {
		c.add("domains", "has %d domains, at most %d", len(a.Domains), MaxAccountDomains)
	}
	for i, d := range a.Domains {
		c.domain(fmt.Sprintf("domains[%d]", i), d, true)
	}
	c.text("companyName", a.CompanyKey, MaxShortText, false)
	return c.errs
}

package normalize

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/biter777/countries"
)

// Country returns the ISO 3166-1 alpha-2 code of s, which may be an alpha-2
// or alpha-3 code, an ISO numeric code, an English name or a common spelling
// ("USA", "U.S.", "United Kingdom", "UK", "Great Britain", "Deutschland",
// "Holland", "South Korea", "Côte d'Ivoire"), in any case and punctuation.
// The names and spellings come from github.com/biter777/countries, a
// maintained table of ISO 3166-1 with aliases, rather than a list kept here.
// Routing rules and goals compare countries as alpha-2 codes.
func Country(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("empty country")
	}
	var c countries.CountryCode
	if n, err := strconv.Atoi(t); err == nil {
		c = countries.ByNumeric(n)
	} else {
		c = countries.ByName(t)
	}
	if c == countries.Unknown || !c.IsValid() {
		return "", fmt.Errorf("unknown country %q (want an ISO 3166-1 code or an English country name)", t)
	}
	a2 := c.Alpha2()
	if len(a2) != 2 {
		return "", fmt.Errorf("unknown country %q (want an ISO 3166-1 code or an English country name)", t)
	}
	return a2, nil
}

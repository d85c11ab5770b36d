package normalize

import (
	"errors"
	"strconv"
	"strings"

	"github.com/biter777/countries"
)

var errUnknownCountry = errors.New("unknown country (expected an ISO 3166-1 code like DE or DEU, or a country name like Germany)")

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
		return "", errors.New("empty country")
	}
	var c countries.CountryCode
	if n, err := strconv.Atoi(t); err == nil {
		c = countries.ByNumeric(n)
	} else {
		c = countries.ByName(t)
	}
	if c == countries.Unknown || !c.IsValid() {
		return "", errUnknownCountry
	}
	a2 := c.Alpha2()
	if len(a2) != 2 {
		return "", errUnknownCountry
	}
	return a2, nil
}

package normalize

import (
	"errors"
	"strconv"
	"strings"
	"sync"

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
	if len(t) > maxCountryKey {
		return country(t)
	}
	countryMu.RLock()
	r, ok := countryCache[t]
	countryMu.RUnlock()
	if ok {
		return r.a2, r.err
	}
	a2, err := country(t)
	countryMu.Lock()
	if len(countryCache) >= maxCountryCache {
		clear(countryCache)
	}
	countryCache[t] = countryResult{a2, err}
	countryMu.Unlock()
	return a2, err
}

// Country's results by trimmed input: a pure function of it, called for every lead with the few
// spellings real sources send. Bounded: emptied when full.
var (
	countryMu    sync.RWMutex
	countryCache = map[string]countryResult{}
)

const (
	maxCountryCache = 4096
	maxCountryKey   = 64 // longer inputs are looked up every time
)

type countryResult struct {
	a2  string
	err error
}

// country is Country's lookup of a trimmed, non-empty input.
func country(t string) (string, error) {
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

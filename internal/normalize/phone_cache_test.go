package normalize

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// phoneUncached is Phone as it was before the cache: the reference a cached result must equal.
func phoneUncached(s, region string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("empty phone number")
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	num, err := phonenumbers.Parse(compactPhone(t), region)
	if err != nil {
		if region == "" {
			return "", fmt.Errorf("not a phone number (%s; national numbers need the lead's country)", phoneErr(err))
		}
		return "", fmt.Errorf("not a phone number for region %s (%s)", region, phoneErr(err))
	}
	if !phonenumbers.IsValidNumber(num) {
		if region == "" {
			return "", fmt.Errorf("not a phone number")
		}
		return "", fmt.Errorf("not a phone number for region %s", region)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// TestPhoneCache: a first call (a miss) and a second (a hit) return exactly what the uncached parse
// returns, value and error message, also when only the region differs and when the cache rolls
// over its generations.
func TestPhoneCache(t *testing.T) {
	inputs := []struct{ in, region string }{
		{"030 1234567", "DE"}, {"030 1234567", "de"}, {"030 1234567", " DE "}, {"030 1234567", ""}, {"030 1234567", "US"},
		{"+49 (0)30 123-4567", ""}, {"+49301234567", ""}, {"+49301234567", "GB"}, {"(415) 555-2671", "US"},
		{"415.555.2671", "us"}, {"020 7946 0018", "GB"}, {"0044 20 7946 0018", "DE"}, {"(02) 9374 4000", "AU"},
		{"01 42 68 53 00", "FR"}, {"12345", "DE"}, {"call me", "US"}, {"030 1234567 ext. 12", "DE"},
		{"030 1234567#12", "DE"}, {"+1 415 555 2671 x 3", ""}, {"", "DE"}, {"   ", "DE"}, {"+", ""}, {"0", "XX"},
		{"030\x001234567", "DE"}, {"030 1234567", "D\x00E"}, {strings.Repeat("1", 80), "DE"}, {"+999 123 456", ""},
	}
	check := func(in, region string) {
		t.Helper()
		want, wantErr := phoneUncached(in, region)
		for range 2 {
			got, err := Phone(in, region)
			if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("Phone(%q, %q) = %q, %v; uncached %q, %v", in, region, got, err, want, wantErr)
			}
		}
	}
	for _, c := range inputs {
		check(c.in, c.region)
	}
	for i := range 3 * phoneCacheGeneration {
		check(fmt.Sprintf("030 %07d", 2000000+i%(2*phoneCacheGeneration)), "DE")
	}
	for _, c := range inputs {
		check(c.in, c.region)
	}
	phones.mu.Lock()
	n := len(phones.cur) + len(phones.old)
	phones.mu.Unlock()
	if n > 2*phoneCacheGeneration {
		t.Fatalf("cache holds %d entries, more than %d", n, 2*phoneCacheGeneration)
	}
}

func TestAppendCompactPhone(t *testing.T) {
	for _, s := range []string{"030 1234567", "+49 (0)30 123-4567", "+49+30", "1+2", "030 1234567 ext. 12", "", "+", "a", "0/1.2-3"} {
		if got := string(appendCompactPhone([]byte("DE\x00"), s)); got != "DE\x00"+compactPhone(s) {
			t.Errorf("appendCompactPhone(%q) = %q; compactPhone %q", s, got, compactPhone(s))
		}
	}
}

// TestCountryCache: cached results (first call, hits, after the cache was emptied) are exactly the
// lookup's.
func TestCountryCache(t *testing.T) {
	inputs := []string{"Germany", "germany", " DE ", "DEU", "276", "U.S.", "USA", "United Kingdom", "UK", "Deutschland",
		"Côte d'Ivoire", "Narnia", "", "  ", "XX", "999", strings.Repeat("a", 80)}
	check := func(s string) {
		t.Helper()
		var want string
		var wantErr error
		if tr := strings.TrimSpace(s); tr == "" {
			wantErr = fmt.Errorf("empty country")
		} else {
			want, wantErr = country(tr)
		}
		for range 2 {
			got, err := Country(s)
			if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("Country(%q) = %q, %v; uncached %q, %v", s, got, err, want, wantErr)
			}
		}
	}
	for _, s := range inputs {
		check(s)
	}
	for i := range maxCountryCache + 10 {
		check(fmt.Sprintf("nowhere %d", i))
	}
	for _, s := range inputs {
		check(s)
	}
	countryMu.RLock()
	n := len(countryCache)
	countryMu.RUnlock()
	if n > maxCountryCache {
		t.Fatalf("country cache holds %d entries", n)
	}
}

package normalize

import (
	"errors"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// idnaProfile is the lookup profile browsers use: it maps (case-folds,
// width-folds) and validates labels before converting them to punycode.
var idnaProfile = idna.Lookup

// Domain returns the registrable domain ("eTLD+1") of s: trimmed and
// lower-cased; a scheme ("https://"), user info, path, query, fragment, port
// and trailing dot removed; converted to ASCII with IDNA; and reduced with the
// Public Suffix List, so "https://EU.Acme.co.uk:443/about" is "acme.co.uk" and
// "shop.acme.com.au" is "acme.com.au". Routing and account matching need the
// registrable domain, not the host a form happened to be served from.
// A bare public suffix ("co.uk"), an IP address or a name without a dot is
// an error.
func Domain(s string) (string, error) {
	host := strings.ToLower(strings.TrimSpace(s))
	if host == "" {
		return "", errors.New("empty domain")
	}
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if strings.HasPrefix(host, "[") {
		return "", errors.New("an IP address, not a domain")
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	ascii, err := asciiHost(host)
	if err != nil {
		return "", err
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(ascii)
	if err != nil {
		return "", errors.New("a public suffix (like co.uk), not a registrable domain")
	}
	return reg, nil
}

// asciiHost validates a host name and returns its lower-case ASCII form
// without a trailing dot.
func asciiHost(host string) (string, error) {
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return "", errors.New("not a domain name")
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return "", errors.New("an IP address, not a domain")
	}
	ascii, err := idnaProfile.ToASCII(host)
	if err != nil {
		return "", errors.New("not a valid domain name")
	}
	ascii = strings.ToLower(ascii)
	if !strings.Contains(ascii, ".") {
		return "", errors.New("not a domain name (no dot)")
	}
	if len(ascii) > 253 {
		return "", errors.New("domain name longer than 253 characters")
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", errors.New("not a valid domain name")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", errors.New("not a valid domain name")
			}
		}
	}
	return ascii, nil
}

// DomainFromEmail returns the registrable domain of a normalized email
// address (see Email), and false when there is none to use: the address has
// no valid domain, or the domain belongs to a free-mail or disposable
// provider (IsFreeMail), because "gmail.com" says nothing about the lead's
// company and must never be matched to an account.
func DomainFromEmail(email string) (string, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "", false
	}
	host, err := asciiHost(strings.ToLower(strings.TrimSpace(email[at+1:])))
	if err != nil {
		return "", false
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return "", false
	}
	// IsFreeMail's two lookups, without computing the registrable domain again.
	if _, free := freemail[host]; free {
		return "", false
	}
	if _, free := freemail[d]; free {
		return "", false
	}
	return d, true
}

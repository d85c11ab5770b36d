package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits in bytes of what the HTTP API and the CSV import accept, each within the store's own
// wider bounds (store.MaxTextLength, store.MaxEmailLength, store.MaxAttributesBytes; a test holds
// them there). Generous for real data, small enough that one lead cannot bloat the store. A reason
// is bounded by lead.MaxReasonLength, the lifecycle's own limit. docs/api/openapi.yaml repeats these
// as literals, and a test in internal/api holds them equal.
const (
	MaxIDLength      = 200
	MaxNameLength    = 200
	MaxEmailLength   = 254 // RFC 5321 path limit
	MaxDomainLength  = 253
	MaxShortText     = 200 // company, country, industry, source, campaign, owner, account name
	MaxAttributes    = 50
	MaxAttributeKey  = 64
	MaxAttributeJSON = 16 << 10
)

// text checks a free-text field: valid UTF-8, no control characters, no surrounding blanks, at most max
// runes. required says whether the empty string is refused.
func (c *collector) text(field, v string, max int, required bool) {
	if v == "" {
		if required {
			c.add(field, "is required")
		}
		return
	}
	if !utf8.ValidString(v) {
		c.add(field, "is not valid UTF-8")
		return
	}
	if len(v) > max {
		c.add(field, "is too long (%d bytes, at most %d)", len(v), max)
		return
	}
	if strings.TrimSpace(v) != v {
		c.add(field, "must not start or end with blanks")
		return
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		c.add(field, "must not contain control characters")
	}
}

// textOK checks a non-empty free-text field like text and reports whether it passed.
func (c *collector) textOK(field, v string, max int) bool {
	n := len(c.errs)
	c.text(field, v, max, false)
	return len(c.errs) == n
}

// domain checks a DNS name in lower case without scheme, path or trailing dot: account matching compares
// domains byte for byte, so "Acme.com" and "acme.com." would silently never match.
func (c *collector) domain(field, v string, required bool) {
	if v == "" {
		if required {
			c.add(field, "is required")
		}
		return
	}
	if len(v) > MaxDomainLength {
		c.add(field, "is too long (%d bytes, at most %d)", len(v), MaxDomainLength)
		return
	}
	if !isDomain(v) {
		c.add(field, "is not a valid domain name (expected lower-case letters, digits, '-' and dots, like example.com)")
	}
}

func isDomain(v string) bool {
	labels := strings.Split(v, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			b := l[i]
			if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}

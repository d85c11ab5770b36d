package normalize

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Email returns s trimmed and lower-cased, after checking that it is one bare
// address (local@domain, as net/mail parses it) with no display name, no
// angle brackets and a domain that has at least one dot. Lower-casing the
// local part is deliberate: mailbox providers treat it case-insensitively in
// practice, and leads from two tools must compare equal. The domain part is
// converted to its ASCII (punycode) form so internationalized domains compare
// equal however they were typed.
func Email(s string) (string, error) {
	// A trailing dot (a fully qualified domain) is common in pasted data
	// and means the same domain.
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "" {
		return "", errors.New("not a valid email address: empty")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("not a valid email address: %s", strings.TrimPrefix(err.Error(), "mail: "))
	}
	if addr.Name != "" || addr.Address != s {
		return "", errors.New("not a valid email address: a bare address like name@example.com has no display name or angle brackets")
	}
	at := strings.LastIndexByte(s, '@')
	local, host := s[:at], s[at+1:]
	ascii, err := asciiHost(host)
	if err != nil {
		return "", fmt.Errorf("not a valid email address: the domain part is %v", err)
	}
	return local + "@" + ascii, nil
}

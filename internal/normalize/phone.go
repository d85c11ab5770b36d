package normalize

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone returns s in E.164 form ("+4930123456"), parsed with
// github.com/nyaruka/phonenumbers, the maintained Go port of Google's
// libphonenumber (its metadata knows every region's numbering plan).
// region is the ISO 3166-1 alpha-2 code of the lead's country; it is needed
// only for numbers written in national format ("030 1234567" in DE), and may
// be empty when s starts with '+' or an international prefix. A number that
// is not a valid number for its region is an error, never a guess: a wrong
// E.164 number would route calls to a stranger.
func Phone(s, region string) (string, error) {
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

func phoneErr(err error) string {
	switch err {
	case phonenumbers.ErrInvalidCountryCode:
		return "no or invalid country code"
	case phonenumbers.ErrNotANumber:
		return "not a number"
	case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
		return "too short"
	case phonenumbers.ErrNumTooLong:
		return "too long"
	}
	return err.Error()
}

// compactPhone drops the visual separators (space, parentheses, '-', '.', '/') from a number made
// only of digits, those separators and a leading '+': libphonenumber ignores them anyway, and its
// extension and viability patterns, which dominate the cost of parsing, run in time that grows with
// the length of the string. Anything else (letters, '#', ',' or ';' that may mark an extension,
// non-ASCII digits) is passed on unchanged.
func compactPhone(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == '+' && len(b) == 0:
			b = append(b, c)
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '/':
		default:
			return s
		}
	}
	return string(b)
}

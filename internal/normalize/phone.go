package normalize

import (
	"fmt"
	"strings"
	"sync"

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
	// The key is the region, a NUL and the compacted number; the region has no NUL (checked), so
	// the first one ends it. Built on the stack: a hit allocates nothing.
	if len(region)+1+len(t) > maxPhoneKey || strings.IndexByte(region, 0) >= 0 {
		return parsePhone(compactPhone(t), region)
	}
	var buf [maxPhoneKey]byte
	key := appendCompactPhone(append(append(buf[:0], region...), 0), t)
	if r, ok := phones.get(key); ok {
		return r.e164, r.err
	}
	e164, err := parsePhone(string(key[len(region)+1:]), region)
	phones.put(string(key), phoneResult{e164, err})
	return e164, err
}

// parsePhone is Phone's work on a compacted number and a normalized region.
func parsePhone(compact, region string) (string, error) {
	num, err := phonenumbers.Parse(compact, region)
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

// appendCompactPhone appends compactPhone(s) to dst.
func appendCompactPhone(dst []byte, s string) []byte {
	start := len(dst)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			dst = append(dst, c)
		case c == '+' && len(dst) == start:
			dst = append(dst, c)
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '/':
		default:
			return append(dst[:start], s...)
		}
	}
	return dst
}

// phones remembers Phone's recent results by (compacted number, region): Phone is a pure function
// of the two (libphonenumber's metadata is compiled in), parsing dominates ingest's CPU, and
// marketing tools and CRMs send the same people again and again. A hit returns exactly what the
// parse returned, error included. It holds at most 2×phoneCacheGeneration entries.
var phones = &phoneCache{cur: map[string]phoneResult{}}

const (
	phoneCacheGeneration = 1 << 15
	maxPhoneKey          = 64 // longer inputs (region, NUL, number as sent) are parsed every time
)

type phoneResult struct {
	e164 string
	err  error
}

// phoneCache is a two-generation cache: when the current generation is full it becomes the old
// one and the previous old one is dropped; a hit in the old generation is promoted.
type phoneCache struct {
	mu       sync.Mutex
	cur, old map[string]phoneResult
}

func (c *phoneCache) get(key []byte) (phoneResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.cur[string(key)]; ok {
		return r, true
	}
	r, ok := c.old[string(key)]
	if ok {
		c.putLocked(string(key), r)
	}
	return r, ok
}

func (c *phoneCache) put(key string, r phoneResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, r)
}

func (c *phoneCache) putLocked(key string, r phoneResult) {
	if len(c.cur) >= phoneCacheGeneration {
		c.old, c.cur = c.cur, make(map[string]phoneResult, phoneCacheGeneration/4)
	}
	c.cur[key] = r
}

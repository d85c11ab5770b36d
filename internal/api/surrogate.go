package api

import (
	"github.com/leadops/leadops/internal/fielderr"
)

// A JSON string may spell a character outside the Basic Multilingual Plane as a UTF-16 surrogate pair
// of \u escapes. A surrogate escape without its partner is not a character: encoding/json replaces it
// with U+FFFD without a word, which would store a corrupted name as silently as the invalid UTF-8
// that decodeJSON refuses. FuzzUpsertBody's UTF-8 check caught it (on a hand-written seed, kept as
// testdata/fuzz/FuzzUpsertBody/lone-surrogate); such a body is refused the same way.

const surrogateMsg = "holds a \\u escape of a lone UTF-16 surrogate (D800–DFFF without its pair), which is not a character; send text as UTF-8 or as valid \\u escapes"

// loneSurrogate returns the offset of the first \u escape of an unpaired surrogate in raw, which must
// be valid JSON (so every backslash starts an escape inside a string).
func loneSurrogate(raw []byte) (int64, bool) {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 >= len(raw) || raw[i+1] != 'u' {
			i++ // a two-character escape such as \" or \\
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			continue
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			// A high surrogate must be followed at once by an escaped low one.
			if i+11 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				if lo, ok := hex4(raw, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return int64(i), true
		case r >= 0xDC00 && r <= 0xDFFF:
			return int64(i), true
		}
		i += 5
	}
	return 0, false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// textErrorAt is the field error for bad text at byte off of raw: the path of the string that holds
// it, or of the object whose key holds it.
func textErrorAt(raw []byte, off int64, msg string) fielderr.Error {
	for _, sp := range jsonSpans(raw) {
		if sp.kind == '"' && sp.start <= off && off < sp.end {
			if sp.key {
				if sp.parent == "" {
					return fielderr.Error{Message: "the body has a key that " + msg}
				}
				return fielderr.Error{Path: sp.parent, Message: "has a key that " + msg}
			}
			return fielderr.Error{Path: sp.path, Message: msg}
		}
	}
	return fielderr.Error{Message: "the body " + msg}
}

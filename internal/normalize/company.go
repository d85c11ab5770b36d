package normalize

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// legalSuffixes are the tokens (after CompanyKey has lower-cased the name,
// removed dots and apostrophes and split it at punctuation and spaces) that
// name a legal form rather than the company: "L.L.C." is "llc", "S.A." is
// "sa", "Pty Ltd" is two tokens, both stripped. Only trailing tokens are
// stripped, so "Co-operative Bank" keeps "co".
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true,
	"co": true, "company": true, "llc": true, "llp": true, "lp": true,
	"ltd": true, "limited": true, "plc": true, "pty": true, "pte": true,
	"pvt": true, "gmbh": true, "ag": true, "kg": true, "kgaa": true, "ug": true,
	"mbh": true, "ev": true, "se": true, "sa": true, "sas": true, "sasu": true,
	"sarl": true, "sl": true, "slu": true, "srl": true, "spa": true, "sro": true,
	"bv": true, "nv": true, "vof": true, "oy": true, "oyj": true, "ab": true,
	"as": true, "asa": true, "aps": true, "kk": true, "lda": true, "ltda": true,
	"sdn": true, "bhd": true,
}

// connectors may sit between a name and a legal form ("Smith & Co",
// "Müller GmbH & Co. KG"); they are stripped only together with a suffix.
var connectors = map[string]bool{"and": true, "und": true, "et": true, "y": true}

var stripMarks = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// CompanyKey returns the key that two spellings of one company share, for
// matching leads to accounts and to each other, never for display (the lead
// keeps the name as sent). It folds case and diacritics ("Société" is
// "societe"), drops dots and apostrophes ("L.L.C." is "llc", "McDonald's" is
// "mcdonalds"), treats '&' as "and", splits at other punctuation and
// whitespace, strips trailing legal-form tokens (Inc, LLC, Ltd, GmbH, AG,
// S.A., B.V., Pty Ltd, Oy, AB, …) and a leading "The", and joins what is left without spaces, so
// "ACME, Inc.", "Acme Inc" and "ACME" all give "acme". A name that is nothing
// but a legal form keeps its last token rather than becoming empty; an empty
// or punctuation-only name gives "".
func CompanyKey(name string) string {
	s, _, err := transform.String(stripMarks, name)
	if err != nil {
		s = name
	}
	s = strings.ToLower(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '.' || r == '\'' || r == '’' || r == '`':
			// "L.L.C." → "llc", "O'Brien" → "obrien"
		case r == '&' || r == '+':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	tokens := strings.Fields(b.String())
	stripped := false
	for len(tokens) > 1 {
		last := tokens[len(tokens)-1]
		if legalSuffixes[last] || (stripped && connectors[last]) {
			tokens = tokens[:len(tokens)-1]
			stripped = true
			continue
		}
		break
	}
	if len(tokens) > 1 && tokens[0] == "the" {
		tokens = tokens[1:]
	}
	return strings.Join(tokens, "")
}

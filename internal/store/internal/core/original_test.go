package core

import (
	"encoding/json"
	"testing"
)

// TestOriginalJSONMatchesMarshal: the direct rendering writes exactly what json.Marshal writes.
func TestOriginalJSONMatchesMarshal(t *testing.T) {
	for _, m := range []map[string]string{
		{"email": " Jane@EU.Example.co.uk", "domain": "", "country": "Germany", "phone": "030 2000001"},
		{"phone": "(415) 555-2671"}, {"country": "Côte d'Ivoire"}, {"email": `"a"@b.c`}, {"email": `a\b@c.d`},
		{"email": "<a@b.c>"}, {"domain": "a&b"}, {"email": "a\tb"}, {"email": "a\x7fb"}, {"email": "\xff"},
		{"email": "a\u2028b"}, {"b": "1", "a": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8"},
		{"b": "1", "a": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8", "i": "9"}, {"": ""},
	} {
		want, _ := json.Marshal(m)
		if got := OriginalJSON(m); got != string(want) {
			t.Errorf("OriginalJSON(%q) = %s; json.Marshal %s", m, got, want)
		}
	}
}

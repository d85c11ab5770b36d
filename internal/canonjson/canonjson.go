// Package canonjson writes the flat JSON objects ingest renders for every lead (attributes, the
// original record, audit data) without reflection, byte for byte what encoding/json's Marshal
// writes for them (sorted keys, HTML-safe escaping, its float format). It handles only the common
// case, a map of scalars holding printable ASCII text, and says so when it cannot: callers then use
// json.Marshal, so the output never depends on which path wrote it.
package canonjson

import (
	"math"
	"slices"
	"strconv"
)

// maxKeys bounds the maps written here (the keys are sorted in a fixed-size array).
const maxKeys = 16

// StringMap returns json.Marshal(m) for a non-empty map of at most 16 plain keys and values
// (Plain), and false for any other map.
func StringMap(m map[string]string) (string, bool) {
	if len(m) == 0 || len(m) > maxKeys {
		return "", false
	}
	var arr [maxKeys]string
	keys, size := arr[:0], 2
	for k, v := range m {
		if !Plain(k) || !Plain(v) {
			return "", false
		}
		keys = append(keys, k)
		size += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":"`...)
		b = append(b, m[k]...)
		b = append(b, '"')
	}
	return string(append(b, '}')), true
}

// Map returns json.Marshal(m) for a non-empty map of at most 16 plain keys whose values are nil,
// booleans, finite float64s or plain strings, and false for any other map.
func Map(m map[string]any) (string, bool) {
	if len(m) == 0 || len(m) > maxKeys {
		return "", false
	}
	var arr [maxKeys]string
	keys, size := arr[:0], 2
	for k, v := range m {
		if !Plain(k) {
			return "", false
		}
		switch v := v.(type) {
		case nil, bool:
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return "", false
			}
			size += 24
		case string:
			if !Plain(v) {
				return "", false
			}
			size += len(v) + 2
		default:
			return "", false
		}
		keys = append(keys, k)
		size += len(k) + 9
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
		switch v := m[k].(type) {
		case nil:
			b = append(b, "null"...)
		case bool:
			b = strconv.AppendBool(b, v)
		case float64:
			b = appendFloat(b, v)
		case string:
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		}
	}
	return string(append(b, '}')), true
}

// appendFloat is encoding/json's float64 format: like %g, with ES6's exponent cutoffs and no
// padding of the exponent.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Plain reports whether json.Marshal writes s as it is between quotes: printable ASCII other than
// the quote, the backslash and the characters it escapes for HTML (<, >, &).
func Plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// RoundTrips reports whether decoding json.Marshal(m) with encoding/json into a map[string]any
// gives back m itself (a shallow copy is then an exact substitute for the round trip): every key is
// plain and every value is nil, a boolean, a finite float64 or a plain string.
func RoundTrips(m map[string]any) bool {
	for k, v := range m {
		if !Plain(k) {
			return false
		}
		switch v := v.(type) {
		case nil, bool:
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return false
			}
		case string:
			if !Plain(v) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/leadops/leadops/internal/fielderr"
)

// encoding/json reports where a problem is as a byte offset (type errors) or not at all (invalid
// UTF-8, which it silently replaces). Callers fix requests by field, so the offset is mapped back to
// the field path the validation errors use, e.g. "leads[3].score".

// jsonSpan is one value (or object key) of a JSON document: its path and its byte range [start, end).
type jsonSpan struct {
	path       string
	kind       byte   // '{', '[', '"', 'n' (number), 'b' (bool), '0' (null)
	key        bool   // an object key; path is the member it names
	parent     string // for a key: the path of its object
	start, end int64
}

// jsonSpans lists the spans of the first JSON value in raw, in document order. It stops quietly at a
// syntax error: callers only use it on bodies that decoded.
func jsonSpans(raw []byte) []jsonSpan {
	type frame struct {
		path    string
		object  bool
		index   int
		key     string
		wantKey bool
		span    int // index in spans of the container's own span
	}
	var (
		spans []jsonSpan
		stack []frame
	)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	prev := int64(0)
	startOf := func(end int64) int64 {
		// The token starts after the separators and blanks that follow the previous token.
		i := prev
		for i < end && bytes.IndexByte([]byte(" \t\r\n:,"), raw[i]) >= 0 {
			i++
		}
		return i
	}
	valuePath := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return joinPath(f.path, f.key)
		}
		return fmt.Sprintf("%s[%d]", f.path, f.index)
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		f := &stack[len(stack)-1]
		if f.object {
			f.wantKey = true
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return spans
		}
		end := dec.InputOffset()
		start := startOf(end)
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				spans = append(spans, jsonSpan{path: valuePath(), kind: byte(t), start: start})
				stack = append(stack, frame{path: valuePath(), object: t == '{', wantKey: t == '{', span: len(spans) - 1})
			default:
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				spans[f.span].end = end
				valueDone()
			}
			if len(stack) == 0 && (t == '}' || t == ']') {
				return spans
			}
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				spans = append(spans, jsonSpan{path: valuePath(), parent: stack[n-1].path, kind: '"', key: true, start: start, end: end})
				continue
			}
			spans = append(spans, jsonSpan{path: valuePath(), kind: '"', start: start, end: end})
		case json.Number:
			spans = append(spans, jsonSpan{path: valuePath(), kind: 'n', start: start, end: end})
		case bool:
			spans = append(spans, jsonSpan{path: valuePath(), kind: 'b', start: start, end: end})
		default:
			spans = append(spans, jsonSpan{path: valuePath(), kind: '0', start: start, end: end})
		}
		valueDone()
		if len(stack) == 0 {
			return spans
		}
	}
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// typeErrorPath finds the value a type error is about. encoding/json sets Offset to just after a
// scalar, or to just after the opening bracket of an object or array.
func typeErrorPath(raw []byte, te *json.UnmarshalTypeError) (string, bool) {
	var kind byte
	switch {
	case strings.HasPrefix(te.Value, "number"):
		kind = 'n'
	case te.Value == "string":
		kind = '"'
	case te.Value == "bool":
		kind = 'b'
	case te.Value == "array":
		kind = '['
	case te.Value == "object":
		kind = '{'
	default:
		return "", false
	}
	for _, sp := range jsonSpans(raw) {
		if sp.key || sp.kind != kind {
			continue
		}
		if (kind == '[' || kind == '{') && sp.start+1 == te.Offset || sp.end == te.Offset {
			return sp.path, true
		}
	}
	return "", false
}

// invalidUTF8 names the string holding the first invalid UTF-8 sequence of raw.
func invalidUTF8(raw []byte) fielderr.Error {
	off := int64(0)
	for off < int64(len(raw)) {
		r, size := utf8.DecodeRune(raw[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += int64(size)
	}
	const msg = "is not valid UTF-8; send text as UTF-8 (JSON requires it)"
	for _, sp := range jsonSpans(raw) {
		if sp.kind == '"' && sp.start <= off && off < sp.end {
			if sp.key {
				// The key itself is broken, so its own path would show the replacement character.
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

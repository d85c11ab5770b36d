// Package fielderr is leadops's one field error: a problem with one input field, located by its
// path, with a message that says what is wrong. Every layer that refuses input carries it: the lead
// lifecycle and the lead store (paths in the store's JSON names, "email", "reason"), the input rules
// shared by the HTTP API and the CSV import (internal/validate: "leads[3].email"), the goal maths
// (internal/goals: "target.growthPercent"), the controllers' Ready messages ("spec.rules[0].when")
// and the HTTP API's error bodies, whose "fields" are this type as JSON.
//
// A message never quotes the offending value: values can be personal data, and messages end up in
// logs, terminals and Kubernetes conditions.
package fielderr

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every *Error, so callers map any of them to a 4xx with errors.Is.
var ErrInvalid = errors.New("invalid input")

// Error is one problem with one field. Its text is "path: message", or the message alone when the
// problem has no path (the whole body, say).
type Error struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// New returns the error on path with a formatted message.
func New(path, format string, args ...any) *Error {
	return &Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

func (e Error) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Unwrap makes every field error an ErrInvalid.
func (e Error) Unwrap() error { return ErrInvalid }

// Under returns e as seen from an enclosing object: its path prefixed with prefix, e.g. an error on
// "email" under "leads[3]" is on "leads[3].email", and one on "target.value" under "spec" is on
// "spec.target.value".
func (e Error) Under(prefix string) Error {
	e.Path = Join(prefix, e.Path)
	return e
}

// Join joins two path segments with a dot; either may be empty. An index segment such as "[3]"
// attaches without a dot.
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	default:
		return prefix + "." + path
	}
}

// List is every problem found in one input; nil or empty means the input is valid.
type List []Error

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns l as an error, or nil when there is no problem (avoids the typed-nil trap).
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

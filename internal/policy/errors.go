package policy

import (
	"fmt"
	"strings"

	"github.com/leadops/leadops/internal/fielderr"
)

// SpecError is a problem in an object's spec that only leadops can see (the API server cannot): the field error (its
// path is the field in the object, "spec.rules[0].when") and the Ready condition's reason. Error()
// is the condition's message, "path: message".
type SpecError struct {
	Reason string
	Field  fielderr.Error
}

func (e *SpecError) Error() string { return e.Field.Error() }

// FieldSpecError is the spec error on the field at path.
func FieldSpecError(reason, path, format string, args ...any) *SpecError {
	return &SpecError{Reason: reason, Field: *fielderr.New(path, format, args...)}
}

// InvalidSpec is the spec error of a message formatted with its field path in front ("path: …"), for
// callers whose error text already names the field below the path (an SLA target, a calendar);
// the path is what precedes the first ": ". Prefer FieldSpecError.
func InvalidSpec(reason, format string, args ...any) *SpecError {
	msg := fmt.Sprintf(format, args...)
	if path, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(path, " \t\n") {
		return &SpecError{Reason: reason, Field: fielderr.Error{Path: path, Message: rest}}
	}
	return &SpecError{Reason: reason, Field: fielderr.Error{Message: msg}}
}

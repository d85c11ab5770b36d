// Package validate holds the one set of input rules shared by the HTTP API and the CSV import, so a lead
// that the API refuses is refused by `leadctl import` for the same reason and with the same field path.
// Messages never quote the offending value: values can be personal data (emails, names) and error
// messages end up in logs and terminals.
package validate

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one field. Path uses the JSON names, e.g. "leads[3].email".
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Errors is a list of field problems; a nil or empty Errors means the input is valid.
type Errors []FieldError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns es as an error, or nil when there is no problem (avoids the typed-nil trap).
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// collector accumulates problems under a path prefix.
type collector struct {
	prefix string
	errs   Errors
}

func (c *collector) add(field, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Path: join(c.prefix, field), Message: fmt.Sprintf(format, args...)})
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	default:
		return prefix + "." + field
	}
}

// Package validate holds the one set of input rules shared by the HTTP API and the CSV import, so a lead
// that the API refuses is refused by `leadctl import` for the same reason and with the same field path.
// Every problem is a fielderr.Error whose path uses the JSON names ("leads[3].email"); a check
// returns them all as a fielderr.List. Messages never quote the offending value: values can be
// personal data (emails, names) and error messages end up in logs and terminals.
package validate

import "github.com/leadops/leadops/internal/fielderr"

// collector accumulates problems under a path prefix.
type collector struct {
	prefix string
	errs   fielderr.List
}

func (c *collector) add(field, format string, args ...any) {
	c.errs = append(c.errs, *fielderr.New(fielderr.Join(c.prefix, field), format, args...))
}

// has reports whether a problem was already recorded for field.
func (c *collector) has(field string) bool {
	p := fielderr.Join(c.prefix, field)
	for _, e := range c.errs {
		if e.Path == p {
			return true
		}
	}
	return false
}

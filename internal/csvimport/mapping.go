// Package csvimport turns a CSV export (from a CRM, a spreadsheet or a marketing tool) into lead inputs,
// reporting every bad row with its line number and reason. It checks rows with the same rules as the
// HTTP API (package validate), so a file that imports cleanly would also be accepted by the API.
package csvimport

import (
	"fmt"
	"slices"
	"strings"
)

// Fields are the lead fields a column can be mapped to, named as in the HTTP API's JSON. A column can
// also be mapped to "attributes.<key>" to land in the lead's free-form attributes.
var Fields = []string{"externalId", "email", "name", "company", "domain", "country", "phone",
	"industry", "employees", "source", "campaign", "score"}

const attributePrefix = "attributes."

// Mapping maps a lead field to the CSV column header that holds it.
type Mapping map[string]string

// ParseMapping reads "email=E-Mail,company=Company Name" (field=Header pairs, comma-separated) into m.
// It can be called once per --map flag; later pairs override earlier ones.
func (m Mapping) Parse(spec string) error {
	for _, pair := range strings.Split(spec, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		field, header, ok := strings.Cut(pair, "=")
		field, header = strings.TrimSpace(field), strings.TrimSpace(header)
		if !ok || field == "" || header == "" {
			return fmt.Errorf("mapping %q: expected field=Column Header", pair)
		}
		if err := checkField(field); err != nil {
			return err
		}
		m[field] = header
	}
	return nil
}

func checkField(field string) error {
	if slices.Contains(Fields, field) {
		return nil
	}
	if key, ok := strings.CutPrefix(field, attributePrefix); ok && key != "" {
		return nil
	}
	return fmt.Errorf("unknown lead field %q in mapping (known: %s, or attributes.<key>)", field, strings.Join(Fields, ", "))
}

// normalize makes "External ID", "external_id" and "externalId" compare equal, so a file whose headers
// already name the fields needs no mapping at all.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == ' ' || r == '_' || r == '-' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// resolve returns column index by field: explicit mappings first, then headers that name a field.
func (m Mapping) resolve(header []string) (map[string]int, error) {
	index := make(map[string]int, len(header))
	for i, h := range header {
		if _, dup := index[h]; dup {
			// Only a problem if the column is used; remember the first and flag below.
			index[h] = -1
			continue
		}
		index[h] = i
	}
	cols := map[string]int{}
	for field, h := range m {
		i, ok := index[h]
		switch {
		case !ok:
			return nil, fmt.Errorf("mapping %s=%s: the file has no column %q (columns: %s)", field, h, h, quoteAll(header))
		case i < 0:
			return nil, fmt.Errorf("mapping %s=%s: the file has more than one column %q", field, h, h)
		}
		cols[field] = i
	}
	for _, field := range Fields {
		if _, mapped := cols[field]; mapped {
			continue
		}
		for i, h := range header {
			if normalize(h) == normalize(field) && index[h] >= 0 {
				cols[field] = i
				break
			}
		}
	}
	if _, ok := cols["externalId"]; !ok {
		return nil, fmt.Errorf("no column holds the external id: map one with --map externalId=<Column> (columns: %s)", quoteAll(header))
	}
	return cols, nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

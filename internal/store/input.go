package store

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadops/leadops/internal/canonjson"
	"github.com/leadops/leadops/internal/normalize"
)

// Input limits the store enforces for every writer (API, CSV import, controller).
const (
	MaxBatchSize       = 10000
	MaxTextLength      = 255
	MaxEmailLength     = 320
	MaxAttributesBytes = 64 << 10
)

// ItemError locates a validation error inside a batch: Index is the 0-based position of the item.
type ItemError struct {
	Index int
	Err   error
}

func (e *ItemError) Error() string { return fmt.Sprintf("item %d: %v", e.Index, e.Err) }
func (e *ItemError) Unwrap() error { return e.Err }

// Normalize trims surrounding spaces from the text fields and lower-cases the domain, so that the
// same lead sent twice with cosmetic differences is recognised as unchanged and matches its account.
func (in LeadInput) Normalize() LeadInput {
	for _, p := range in.textFields() {
		*p.v = strings.TrimSpace(*p.v)
	}
	in.Domain = strings.ToLower(in.Domain)
	return in
}

type textField struct {
	name string
	v    *string
}

func (in *LeadInput) textFields() []textField {
	return []textField{
		{"externalId", &in.ExternalID}, {"email", &in.Email}, {"name", &in.Name}, {"company", &in.Company},
		{"domain", &in.Domain}, {"country", &in.Country}, {"industry", &in.Industry},
		{"source", &in.Source}, {"campaign", &in.Campaign}, {"phone", &in.Phone},
	}
}

// Validate checks a (normalized) input; the error is a *FieldError (ErrInvalid). Messages never
// quote the value, since several fields are personal data.
func (in LeadInput) Validate() error {
	for _, f := range in.textFields() {
		v := *f.v
		limit := MaxTextLength
		if f.name == "email" {
			limit = MaxEmailLength
		}
		if len(v) > limit {
			return &FieldError{Path: f.name, Message: fmt.Sprintf("longer than %d bytes", limit)}
		}
		if !utf8.ValidString(v) {
			return &FieldError{Path: f.name, Message: "not valid UTF-8"}
		}
		if strings.ContainsFunc(v, unicode.IsControl) {
			return &FieldError{Path: f.name, Message: "contains control characters"}
		}
	}
	if in.Email != "" {
		a, err := mail.ParseAddress(in.Email)
		if err != nil || a.Address != in.Email || a.Name != "" {
			return &FieldError{Path: "email", Message: "not a valid email address"}
		}
	}
	if in.Employees < 0 {
		return &FieldError{Path: "employees", Message: "must not be negative"}
	}
	for k, v := range in.Original {
		if k == "" || len(k) > MaxTextLength || len(v) > MaxEmailLength || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return &FieldError{Path: "original", Message: "keys must be field names and values at most 320 bytes of UTF-8"}
		}
	}
	if in.Attributes != nil {
		b, err := attributesJSON(in.Attributes)
		if err != nil {
			return &FieldError{Path: "attributes", Message: "not representable as JSON"}
		}
		if len(b) > MaxAttributesBytes {
			return &FieldError{Path: "attributes", Message: fmt.Sprintf("larger than %d bytes as JSON", MaxAttributesBytes)}
		}
		for k := range in.Attributes {
			if k == "" {
				return &FieldError{Path: "attributes", Message: "empty key"}
			}
		}
	}
	return nil
}

// AttributesJSON renders the attributes for storage: canonical (sorted keys), "{}" when empty, so
// equal inputs give equal bytes.
func (in LeadInput) AttributesJSON() (string, error) {
	if len(in.Attributes) == 0 {
		return "{}", nil
	}
	return attributesJSON(in.Attributes)
}

// attributesJSON is json.Marshal(attrs) as a string, without reflection for flat maps of scalars.
func attributesJSON(attrs map[string]any) (string, error) {
	if s, ok := canonjson.Map(attrs); ok {
		return s, nil
	}
	b, err := json.Marshal(attrs)
	return string(b), err
}

// PrepareBatch normalizes and validates a batch. Invalid means: an item fails Validate, the batch is
// larger than MaxBatchSize, or two items share an external id (the second would silently overwrite
// the first inside one transaction). Errors are *ItemError wrapping a *FieldError.
func PrepareBatch(in []LeadInput) ([]LeadInput, error) {
	if len(in) > MaxBatchSize {
		return nil, &FieldError{Path: "items", Message: fmt.Sprintf("more than %d leads in one batch", MaxBatchSize)}
	}
	out := make([]LeadInput, len(in))
	seen := make(map[string]int, len(in))
	for i, item := range in {
		item = item.Normalize()
		if err := item.Validate(); err != nil {
			return nil, &ItemError{Index: i, Err: err}
		}
		if item.ExternalID != "" {
			if j, dup := seen[item.ExternalID]; dup {
				return nil, &ItemError{Index: i, Err: &FieldError{Path: "externalId", Message: fmt.Sprintf("same external id as item %d", j)}}
			}
			seen[item.ExternalID] = i
		}
		out[i] = item
	}
	return out, nil
}

// NormalizeAccount trims the account, lower-cases its domains and validates it. Domain defaults to the
// first of Domains; Domains always starts with Domain and holds each domain once.
func NormalizeAccount(a Account) (Account, error) {
	a.Domain = strings.ToLower(strings.TrimSpace(a.Domain))
	a.Name = strings.TrimSpace(a.Name)
	a.Owner = strings.TrimSpace(a.Owner)
	a.CompanyKey = normalize.CompanyKey(a.CompanyKey)
	var domains []string
	seen := map[string]bool{}
	for i, d := range append([]string{a.Domain}, a.Domains...) {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			if i > 0 {
				return a, &FieldError{Path: fmt.Sprintf("domains[%d]", i-1), Message: "empty"}
			}
			continue
		}
		if len(d) > MaxTextLength || !utf8.ValidString(d) || strings.ContainsFunc(d, unicode.IsControl) {
			return a, &FieldError{Path: fmt.Sprintf("domains[%d]", max(i-1, 0)), Message: "not a domain"}
		}
		if !seen[d] {
			seen[d] = true
			domains = append(domains, d)
		}
	}
	if len(domains) == 0 {
		return a, &FieldError{Path: "domain", Message: "required"}
	}
	a.Domain, a.Domains = domains[0], domains
	for _, f := range []struct{ name, v string }{{"domain", a.Domain}, {"name", a.Name}, {"owner", a.Owner}, {"companyKey", a.CompanyKey}} {
		if len(f.v) > MaxTextLength {
			return a, &FieldError{Path: f.name, Message: fmt.Sprintf("longer than %d bytes", MaxTextLength)}
		}
		if !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, unicode.IsControl) {
			return a, &FieldError{Path: f.name, Message: "not valid text"}
		}
	}
	return a, nil
}

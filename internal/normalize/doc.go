// Package normalize turns the values that marketing tools, CSV exports and
// people type into one canonical form, so that the lead store compares like
// with like: "Jane@ACME.com" and "jane@acme.com" are the same person, a lead
// from "eu.acme.co.uk" belongs to the account "acme.co.uk", "Deutschland",
// "DEU" and "de" are one country, and "ACME, Inc." is the company "Acme".
//
// Every function is pure (no I/O, no clock, no global state beyond the
// embedded tables), safe for concurrent use, and returns an error that says
// why a value was refused without naming the field (the caller knows the
// field path and prefixes it: "phone: not a phone number for region DE") and
// without quoting the value (values can be personal data, and messages end up
// in logs and terminals).
//
// The tables come from maintained sources rather than hand-written rules:
// the Public Suffix List (golang.org/x/net/publicsuffix), ISO 3166-1 with
// common spellings (github.com/biter777/countries), libphonenumber's metadata
// (github.com/nyaruka/phonenumbers), and the embedded free-mail list in
// freemail.txt (see IsFreeMail for how to update it).
package normalize

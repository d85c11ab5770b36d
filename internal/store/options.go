package store

import (
	"log/slog"
	"time"
)

// Options tune a backend; the zero value is ready to use.
type Options struct {
	// Clock is the store's only source of time (stage timestamps, audit times, created/updated).
	// Tests inject a fake one. Nil means time.Now.
	Clock func() time.Time
	// Logger receives operational messages (reconnects, ...). They never carry personal data.
	// Nil discards them.
	Logger *slog.Logger
	// ReadOnly opens an existing, migrated store that can only be read (leadctl preview): no
	// migration runs, SQLite opens the file with mode=ro and query_only, PostgreSQL sessions run
	// with default_transaction_read_only, so every write method fails and nothing is written.
	ReadOnly bool
	// DuplicateAttribute names a custom attribute (such as crmContactId) whose value identifies a
	// person across sources: a new lead whose value equals an open lead's is a duplicate of it even
	// with another email, linked in the insert's transaction as a same-email duplicate is (the email
	// is tried first). Only string and integral number values count, trimmed; empty means email only.
	// The value is recorded when the lead is inserted (leads inserted before the option was set, or
	// under another name, never match), and an update of the attribute does not change it.
	DuplicateAttribute string
}

// Now returns the current time from the clock, in UTC and truncated to microseconds: both backends
// store microseconds, so what a caller gets back equals what a later read returns.
func (o Options) Now() time.Time {
	c := o.Clock
	if c == nil {
		c = time.Now
	}
	return c().UTC().Truncate(time.Microsecond)
}

// Log returns the logger, or one that discards.
func (o Options) Log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

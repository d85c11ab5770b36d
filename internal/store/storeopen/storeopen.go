// Package storeopen opens the lead store a DSN names, so the manager, the API server and leadctl
// accept one --store flag for both backends.
package storeopen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/postgres"
	"github.com/leadops/leadops/internal/store/sqlite"
)

// Open picks the backend from the DSN:
//
//	postgres://… or postgresql://…   PostgreSQL (libpq URL)
//	sqlite://PATH                     SQLite file at PATH (sqlite:///abs/path or sqlite://rel/path)
//	file:PATH                         SQLite file at PATH (file:///abs/path works too)
//	PATH                              SQLite file at PATH (anything without a scheme)
//
// Any other scheme is an error naming the accepted forms. Error messages never echo the DSN, which
// may carry a password. Both backends implement the whole store.Backend, so callers need no type
// assertion.
func Open(ctx context.Context, dsn string, opts store.Options) (store.Backend, error) {
	kind, target, err := Parse(dsn)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindPostgres:
		return postgres.Open(ctx, target, opts)
	default:
		return sqlite.Open(ctx, target, opts)
	}
}

// Kind is a store backend.
type Kind string

const (
	KindPostgres Kind = "postgres"
	KindSQLite   Kind = "sqlite"
)

const accepted = "use postgres://…, postgresql://…, sqlite://PATH, file:PATH or a plain file path"

// Parse tells which backend a DSN names and what to hand it: the DSN itself for PostgreSQL, the
// file path for SQLite.
func Parse(dsn string) (Kind, string, error) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case dsn == "":
		return "", "", errors.New("empty store DSN: " + accepted)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return KindPostgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		return sqlitePath(strings.TrimPrefix(dsn, "sqlite://"))
	case strings.HasPrefix(dsn, "file://"):
		return sqlitePath(strings.TrimPrefix(dsn, "file://"))
	case strings.HasPrefix(dsn, "file:"):
		return sqlitePath(strings.TrimPrefix(dsn, "file:"))
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		return "", "", fmt.Errorf("unsupported store DSN scheme %q: %s", safeScheme(scheme), accepted)
	}
	return sqlitePath(dsn)
}

func sqlitePath(p string) (Kind, string, error) {
	if p == "" {
		return "", "", errors.New("store DSN names no SQLite file: " + accepted)
	}
	if strings.ContainsAny(p, "?#") {
		return "", "", errors.New("SQLite store DSN: options after '?' are not supported; the store sets its own")
	}
	return KindSQLite, p, nil
}

// safeScheme keeps only what looks like a scheme, so a mistyped DSN never leaks a secret.
func safeScheme(s string) string {
	if len(s) > 20 || strings.ContainsAny(s, "@:/ ") {
		return "?"
	}
	return s
}

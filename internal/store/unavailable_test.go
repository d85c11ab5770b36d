package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leadops/leadops/internal/store"
	_ "github.com/leadops/leadops/internal/store/postgres" // registers its outage classifier
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want store.Outage
	}{
		{"nil", nil, store.NoOutage},
		{"a bug", errors.New("boom"), store.NoOutage},
		{"not found", store.ErrNotFound, store.NoOutage},
		{"caller gave up", context.Canceled, store.NoOutage},
		{"marked", fmt.Errorf("x: %w", store.ErrUnavailable), store.Unreachable},
		{"admin shutdown", fmt.Errorf("q: %w", &pgconn.PgError{Code: "57P01"}), store.Unreachable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, store.Unreachable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, store.Unreachable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, store.Unreachable},
		{"pg disk full", &pgconn.PgError{Code: "53100"}, store.OutOfSpace},
		{"pg standby", &pgconn.PgError{Code: "25006"}, store.ReadOnlyStorage},
		{"pg io error", &pgconn.PgError{Code: "58030"}, store.ReadOnlyStorage},
		{"unique violation", &pgconn.PgError{Code: "23505"}, store.NoOutage},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, store.NoOutage},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), store.Unreachable},
		{"reset", syscall.ECONNRESET, store.Unreachable},
		{"net error", &net.OpError{Op: "read", Err: errors.New("x")}, store.Unreachable},
		{"cut mid-message", fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), store.Unreachable},
		{"deadline", fmt.Errorf("q: %w", context.DeadlineExceeded), store.Unreachable},
		{"ENOSPC", syscall.ENOSPC, store.OutOfSpace},
		{"EFBIG", syscall.EFBIG, store.OutOfSpace},
		{"EROFS", syscall.EROFS, store.ReadOnlyStorage},
	}
	for _, tc := range tests {
		if got := store.Classify(tc.err); got != tc.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestClassifySQLiteCode(t *testing.T) {
	tests := []struct {
		code int
		want store.Outage
	}{
		{13, store.OutOfSpace},             // SQLITE_FULL
		{8, store.ReadOnlyStorage},         // SQLITE_READONLY
		{10 | 3<<8, store.ReadOnlyStorage}, // SQLITE_IOERR_WRITE
		{14, store.ReadOnlyStorage},        // SQLITE_CANTOPEN
		{5, store.Unreachable},             // SQLITE_BUSY
		{19, store.NoOutage},               // SQLITE_CONSTRAINT
		{1, store.NoOutage},                // SQLITE_ERROR
	}
	for _, tc := range tests {
		if got := store.ClassifySQLiteCode(tc.code); got != tc.want {
			t.Errorf("ClassifySQLiteCode(%d) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

package api_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// failingStore is a real store whose lead reads and writes fail with err, as during an outage.
type failingStore struct {
	store.Backend
	err error
}

func (f *failingStore) UpsertLead(context.Context, store.LeadInput, string) (*lead.Lead, bool, error) {
	return nil, false, fmt.Errorf("upsert lead: %w", f.err)
}

func (f *failingStore) UpsertLeads(context.Context, []store.LeadInput, string) ([]*lead.Lead, error) {
	return nil, fmt.Errorf("upsert leads: %w", f.err)
}

func (f *failingStore) GetLead(context.Context, string) (*lead.Lead, error) {
	return nil, fmt.Errorf("get lead: %w", f.err)
}

// TestStoreOutageIs503WithRetryAfter: every way a store can be down answers 503 with Retry-After
// and a message saying what is wrong (never a 500, never the request's data); anything else stays
// a 500.
func TestStoreOutageIs503WithRetryAfter(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{}}
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		msg        string
	}{
		{"postgres shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, 503, "1", "unavailable"},
		{"postgres starting up", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, 503, "1", "unavailable"},
		{"postgres connection failure", &pgconn.PgError{Code: "08006"}, 503, "1", "unavailable"},
		{"postgres disk full", &pgconn.PgError{Code: "53100"}, 503, "30", "out of disk space"},
		{"postgres standby after failover", &pgconn.PgError{Code: "25006"}, 503, "30", "cannot write"},
		{"connection refused", fmt.Errorf("failed to connect: %w", syscall.ECONNREFUSED), 503, "1", "unavailable"},
		{"network error", refused, 503, "1", "unavailable"},
		{"store deadline", context.DeadlineExceeded, 503, "1", "unavailable"},
		{"disk full", fmt.Errorf("write: %w", syscall.ENOSPC), 503, "30", "out of disk space"},
		{"file size limit", fmt.Errorf("write: %w", syscall.EFBIG), 503, "30", "out of disk space"},
		{"read-only file system", fmt.Errorf("write: %w", syscall.EROFS), 503, "30", "cannot write"},
		{"marked unavailable", fmt.Errorf("wrapped: %w", store.ErrUnavailable), 503, "1", "unavailable"},
		{"unique violation stays a 500", &pgconn.PgError{Code: "23505"}, 500, "", "internal error"},
		{"a bug stays a 500", errors.New("boom"), 500, "", "internal error"},
	}
	base := openDSN(t, "sqlite://"+filepath.Join(t.TempDir(), "leads.db"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, &failingStore{Backend: base, err: tc.err}, nil)
			for _, req := range []struct{ method, path, body string }{
				{http.MethodPost, "/v1/leads", `{"externalId":"x-1","email":"jane@example.com"}`},
				{http.MethodGet, "/v1/leads/00000000-0000-0000-0000-000000000001", ""},
			} {
				r := ts.do(t, req.method, req.path, "application/json", "Bearer "+tokenHubspot, []byte(req.body))
				if r.status != tc.status {
					t.Fatalf("%s %s: HTTP %d, want %d (%s)", req.method, req.path, r.status, tc.status, r.body)
				}
				if got := r.header.Get("Retry-After"); got != tc.retryAfter {
					t.Errorf("%s %s: Retry-After %q, want %q", req.method, req.path, got, tc.retryAfter)
				}
				if !strings.Contains(r.err.Error, tc.msg) {
					t.Errorf("%s %s: message %q does not say %q", req.method, req.path, r.err.Error, tc.msg)
				}
			}
			if strings.Contains(ts.logs.String(), "jane@example.com") {
				t.Errorf("the log holds the lead's email:\n%s", ts.logs.String())
			}
		})
	}
}

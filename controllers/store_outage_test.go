package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

func TestRetryOnOutage(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		err     error
		wantRes ctrl.Result
		wantErr error
	}{
		{"success", nil, ctrl.Result{RequeueAfter: 5 * time.Second}, nil},
		{"store down: short requeue, no error", fmt.Errorf("open load: %w", syscall.ECONNREFUSED), ctrl.Result{RequeueAfter: outageRetry}, nil},
		{"other error kept", boom, ctrl.Result{}, boom},
	}
	for _, tc := range tests {
		in := ctrl.Result{}
		if tc.err == nil {
			in = tc.wantRes
		}
		res, err := retryOnOutage(context.Background(), in, tc.err)
		if res != tc.wantRes || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("%s: got %+v, %v; want %+v, %v", tc.name, res, err, tc.wantRes, tc.wantErr)
		}
	}
}

type pingFunc func(ctx context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// TestStoreReadyCheck: ready while the store answers, not ready when it fails, and not ready
// within the bound when it hangs.
func TestStoreReadyCheck(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	if err := StoreReadyCheck(pingFunc(func(context.Context) error { return nil }))(req); err != nil {
		t.Fatalf("a store that answers: %v", err)
	}
	down := fmt.Errorf("ping: %w", syscall.ECONNREFUSED)
	if err := StoreReadyCheck(pingFunc(func(context.Context) error { return down }))(req); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a store that is down: %v", err)
	}
	began := time.Now()
	hung := pingFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if err := StoreReadyCheck(hung)(req); err == nil || time.Since(began) > storeReadyTimeout+time.Second {
		t.Fatalf("a hung store: %v after %v; want an error within %v", err, time.Since(began), storeReadyTimeout)
	}
}

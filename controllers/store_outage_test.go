package controllers

import (
	"context"
	"errors"
	"fmt"
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

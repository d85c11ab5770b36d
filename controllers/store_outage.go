package controllers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/leadops/leadops/internal/store"
)

// outageRetry is how often the router tries again while the lead store is down. An error returned
// to controller-runtime would back off exponentially per item (up to 16 minutes), so after an
// outage of a few seconds the router would sleep long past the store's return unless a new lead
// woke it; a fixed, short retry keeps the recovery within about a second of the store's return
// (TestFaultPostgresOutageMidStream measures it).
const outageRetry = time.Second

// retryOnOutage turns a store outage into a plain requeue after outageRetry, logged once per try
// without a stack trace; any other error is returned as it is.
func retryOnOutage(ctx context.Context, res ctrl.Result, err error) (ctrl.Result, error) {
	if err == nil || !store.Unavailable(err) {
		return res, err
	}
	ctrl.LoggerFrom(ctx).Info("the lead store is unavailable; routing retries shortly", "retryIn", outageRetry.String(), "error", err.Error())
	return ctrl.Result{RequeueAfter: outageRetry}, nil
}

// storeReadyTimeout bounds the readiness check: the kubelet's probe gives up after its own timeout
// (1 s by default) and a check still waiting on an unreachable database would only pile up.
const storeReadyTimeout = 3 * time.Second

// Pinger is the part of the lead store the readiness check needs.
type Pinger interface {
	Ping(ctx context.Context) error
}

// StoreReadyCheck is the manager's "store" readiness check: ready only while the lead store
// answers, so a replica that cannot reach it gets no API traffic; bounded by storeReadyTimeout.
func StoreReadyCheck(st Pinger) healthz.Checker {
	return func(r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), storeReadyTimeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			return fmt.Errorf("the lead store does not answer: %w", err)
		}
		return nil
	}
}

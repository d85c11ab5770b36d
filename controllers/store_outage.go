package controllers

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

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

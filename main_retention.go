package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
)

// retainPersonalData is --retain-personal-data: 0 keeps personal data until someone erases it.
var retainPersonalData time.Duration

func init() {
	flag.DurationVar(&retainPersonalData, "retain-personal-data", 0,
		"Erase the personal data of leads closed (won, lost, disqualified) longer ago than this, e.g. 4380h (see docs/privacy.md). 0: keep it until erased on request.")
}

// retentionBatch is how many leads one pass erases, and retentionInterval how often passes run
// while there is nothing left (a full batch runs the next pass at once).
const (
	retentionBatch    = 500
	retentionInterval = 10 * time.Minute
	retentionActor    = "retention"
)

var personalDataErased = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "leadops_personal_data_erased_total",
	Help: "Leads whose personal data the retention (--retain-personal-data) erased.",
})

// retentionStore is what retention does to the store.
type retentionStore interface {
	ErasableLeads(ctx context.Context, closedBefore time.Time, limit int) ([]string, error)
	ErasePersonalData(ctx context.Context, leadID, actor string) (store.Erasure, error)
}

// setupRetention adds the retention runnable (leader only) when --retain-personal-data is set.
func setupRetention(mgr ctrl.Manager, st store.Backend) error {
	if retainPersonalData == 0 {
		return nil
	}
	if retainPersonalData < 0 {
		return fmt.Errorf("--retain-personal-data %s: give a positive duration", retainPersonalData)
	}
	if err := metrics.Registry.Register(personalDataErased); err != nil {
		return fmt.Errorf("registering the retention metric: %w", err)
	}
	return mgr.Add(&retention{st: st, retain: retainPersonalData, clock: clock.Real{}, log: ctrl.Log.WithName("retention")})
}

type retention struct {
	st     retentionStore
	retain time.Duration
	clock  clock.Clock
	log    logr.Logger
}

// NeedLeaderElection is true: one replica erases, the others would only race it.
func (r *retention) NeedLeaderElection() bool { return true }

func (r *retention) Start(ctx context.Context) error {
	for {
		n, err := r.pass(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			r.log.Error(err, "retention pass failed; retrying later")
		}
		wait := retentionInterval
		if err == nil && n == retentionBatch {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// pass erases one batch of the leads closed before now - retain, and returns how many it erased.
func (r *retention) pass(ctx context.Context) (int, error) {
	ids, err := r.st.ErasableLeads(ctx, r.clock.Now().Add(-r.retain), retentionBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if _, err := r.st.ErasePersonalData(ctx, id, retentionActor); err != nil {
			return n, fmt.Errorf("erasing lead %s: %w", id, err)
		}
		personalDataErased.Inc()
		n++
	}
	if n > 0 {
		r.log.Info("erased the personal data of closed leads", "leads", n, "closedBefore", r.clock.Now().Add(-r.retain))
	}
	return n, nil
}

package controllers

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

var storeUp = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "leadops_store_up",
	Help: "1 while the lead store answers pings, 0 while it does not.",
})

func init() { metrics.Registry.MustRegister(storeUp) }

// Instrument wraps the store so activities recorded through this process (the manager's HTTP API)
// feed the time-to-first-touch histogram. The result is the whole store.Backend, so it wires in
// wherever the backend does.
func Instrument(st store.Backend) store.Backend { return instrumented{st} }

type instrumented struct{ store.Backend }

func (s instrumented) Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error) {
	l, err := s.Backend.Apply(ctx, leadID, a)
	if err == nil && a.Kind == store.ActivityTouch && l.RoutedAt != nil && l.TouchedAt != nil &&
		l.TouchedAt.Sub(a.At).Abs() < time.Millisecond {
		// This call made the first touch of the handoff.
		timeToFirstTouch.WithLabelValues(l.Policy).Observe(l.TouchedAt.Sub(*l.RoutedAt).Seconds())
	}
	return l, err
}

// pinger is what storePinger needs from the lead store.
type pinger interface {
	Ping(ctx context.Context) error
}

// storePinger keeps leadops_store_up current for alerting, independent of traffic.
type storePinger struct {
	Store    pinger
	Interval time.Duration
}

func (p *storePinger) Start(ctx context.Context) error {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, p.Interval)
		if p.Store.Ping(pctx) == nil {
			storeUp.Set(1)
		} else {
			storeUp.Set(0)
		}
		cancel()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (p *storePinger) NeedLeaderElection() bool { return false }

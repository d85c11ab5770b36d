package events

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the delivery metrics, labelled by subscription name (never by URL).
type Metrics struct {
	// Deliveries counts events by result: delivered (acknowledged with a 2xx), filtered (not of the
	// subscription's policies), skipped (older than a new subscription's NotBefore), gone (the 410 that
	// disabled the subscription).
	Deliveries *prometheus.CounterVec
	// Attempts counts HTTP attempts by Outcome.
	Attempts *prometheus.CounterVec
	// Lag is how old the event being delivered is (0 when caught up).
	Lag *prometheus.GaugeVec
	// Disabled is 1 for a subscription an endpoint's 410 Gone disabled, else 0.
	Disabled *prometheus.GaugeVec
	// ConfigErrors is 1 while the subscription file (or a file it names) has problems: the last good
	// configuration of the affected subscriptions keeps running.
	ConfigErrors prometheus.Gauge
}

// NewMetrics returns unregistered metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadops_event_deliveries_total",
			Help: "Lead events by subscription and result: delivered (2xx), filtered (another policy's lead), skipped (older than a new breach webhook subscription) or gone (the receiver answered 410 and the subscription was disabled).",
		}, []string{"subscription", "result"}),
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadops_event_delivery_attempts_total",
			Help: "HTTP attempts to deliver lead events by subscription and outcome: delivered, gone, rate_limited, server_error, client_error, network_error.",
		}, []string{"subscription", "result"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leadops_event_subscription_lag_seconds",
			Help: "Age of the lead event a subscription is delivering (0 when it has delivered everything).",
		}, []string{"subscription"}),
		Disabled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leadops_event_subscription_disabled",
			Help: "1 when the subscription's endpoint answered 410 Gone and delivery stopped until the subscription's target changes.",
		}, []string{"subscription"}),
		ConfigErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leadops_event_subscription_config_errors",
			Help: "1 while the event subscription file or a file it names has problems (see the manager's log); affected subscriptions keep their last good configuration.",
		}),
	}
}

// Collectors lists the metrics for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Deliveries, m.Attempts, m.Lag, m.Disabled, m.ConfigErrors}
}

// forget drops a removed subscription's gauges.
func (m *Metrics) forget(name string) {
	m.Lag.DeleteLabelValues(name)
	m.Disabled.DeleteLabelValues(name)
}

package writeback

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Write-back metrics, on controller-runtime's registry. Labels are connection names, outcomes and
// HTTP status codes: never a lead's or a person's data.
var (
	writeBackTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_crm_writeback_total",
		Help: "Lead owners written back to a CRM, by connection and result (written, failed: given up after the last attempt, skipped: no CRM user for the owner).",
	}, []string{"connection", "result"})
	writeBackLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_crm_writeback_lag_seconds",
		Help: "Age of the oldest owner change not yet acknowledged by the CRM, by connection (0 when caught up).",
	}, []string{"connection"})
	apiRequestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_crm_api_requests_total",
		Help: "Requests write-back sent to a CRM's API, by connection and HTTP status code (\"error\" when no response came).",
	}, []string{"connection", "code"})
)

func init() {
	metrics.Registry.MustRegister(writeBackTotal, writeBackLag, apiRequestsTotal)
}

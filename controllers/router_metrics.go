package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Routing metrics, on controller-runtime's registry (served on the manager's metrics endpoint).
// Labels are Kubernetes object names only: never a lead's or a person's data.
var (
	routedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_leads_routed_total",
		Help: "Leads routed, by governing policy (namespace/name), rule and team.",
	}, []string{"policy", "rule", "team"})
	routingOutcomesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_routing_outcomes_total",
		Help: "Routing decisions by outcome (Routed, Queued, Disqualified, NoRule, Unmatched) and policy (empty when unmatched).",
	}, []string{"outcome", "policy"})
	routingQueue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_routing_queue_leads",
		Help: "Leads waiting for a member of the target team to have room, by policy.",
	}, []string{"policy"})
	unmatchedLeads = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "leadops_unmatched_leads",
		Help: "Leads that no LeadPolicy selects, as of the last routing pass (list them with `leadctl list --stage new`).",
	})
	expressionErrorsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_expression_errors_total",
		Help: "CEL evaluation errors met while routing (the lead moved on to the next policy or rule), by the policy whose expression failed and its field (selector, qualification, rules[N].when). A lead fails an expression at most once per version of the lead.",
	}, []string{"policy", "field"})
	slaBreachesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_sla_breaches_total",
		Help: "Handoffs that breached an SLA, by policy (namespace/name) and SLA (first_touch, acceptance).",
	}, []string{"policy", "sla"})
	slaOverdue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_sla_overdue_handoffs",
		Help: "Open handoffs past their deadline, by policy.",
	}, []string{"policy"})
	slaAtRisk = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_sla_at_risk_handoffs",
		Help: "Open handoffs past their warning time but not yet overdue, by policy.",
	}, []string{"policy"})
	slaCompliance = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_sla_compliance_ratio",
		Help: "Share of the compliance window's decided handoffs that met their SLA (0..1), by policy.",
	}, []string{"policy"})
	timeToFirstTouch = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "leadops_time_to_first_touch_seconds",
		Help:    "Wall-clock time from routing to the first touch, by policy.",
		Buckets: []float64{60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800},
	}, []string{"policy"})
	routingLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "leadops_routing_latency_seconds",
		Help:    "Time from a lead's creation (or last change) to its routing decision being committed.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	})
)

func init() {
	metrics.Registry.MustRegister(routedTotal, routingOutcomesTotal, routingQueue, unmatchedLeads, expressionErrorsTotal,
		routingLatency, slaBreachesTotal, slaOverdue, slaAtRisk, slaCompliance, timeToFirstTouch)
}

// Goal and team gauges, labelled by namespace and name only.
var (
	goalProgress = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_goal_progress_ratio", Help: "A TeamGoal's current value as a share of its target (1 = met).",
	}, []string{"namespace", "name"})
	goalExpected = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_goal_expected_progress_ratio", Help: "The elapsed share of a TeamGoal's period: where a goal on a straight-line pace would be.",
	}, []string{"namespace", "name"})
	goalProjection = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_goal_projection_ratio", Help: "A TeamGoal's projection at the current pace as a share of its target (0 while too early to project).",
	}, []string{"namespace", "name"})
	goalAtRisk = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_goal_at_risk", Help: "1 while a TeamGoal is AtRisk, else 0.",
	}, []string{"namespace", "name"})
	teamUtilization = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_team_utilization_ratio", Help: "A Team's open leads as a share of its available capacity.",
	}, []string{"namespace", "name"})
	teamOverCapacity = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_team_over_capacity", Help: "1 while a Team is OverCapacity, else 0.",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(goalProgress, goalExpected, goalProjection, goalAtRisk, teamUtilization, teamOverCapacity)
}

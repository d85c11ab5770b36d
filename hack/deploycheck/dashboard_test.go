package deploycheck

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// exportedMetrics are the metric families the manager exports (the contract of docs/alerting.md;
// TestMetricsContract keeps it equal to the Go sources and to that page's table).
var exportedMetrics = map[string]string{
	"leadops_leads_routed_total":           "counter",
	"leadops_routing_outcomes_total":       "counter",
	"leadops_routing_queue_leads":          "gauge",
	"leadops_unmatched_leads":              "gauge",
	"leadops_expression_errors_total":      "counter",
	"leadops_routing_latency_seconds":      "histogram",
	"leadops_sla_breaches_total":           "counter",
	"leadops_sla_overdue_handoffs":         "gauge",
	"leadops_sla_at_risk_handoffs":         "gauge",
	"leadops_sla_compliance_ratio":         "gauge",
	"leadops_time_to_first_touch_seconds":  "histogram",
	"leadops_goal_progress_ratio":          "gauge",
	"leadops_goal_expected_progress_ratio": "gauge",
	"leadops_goal_projection_ratio":        "gauge",
	"leadops_goal_at_risk":                 "gauge",
	"leadops_team_utilization_ratio":       "gauge",
	"leadops_team_over_capacity":           "gauge",
	"leadops_lead_field_missing_ratio":     "gauge",
	"leadops_store_up":                     "gauge",
	"leadops_webhook_deliveries_total":     "counter",
	// LeadExperiment evaluation (controllers).
	"leadops_experiment_arm_leads": "gauge",
	"leadops_experiment_arm_value": "gauge",
	// CRM write-back (internal/crm/writeback).
	"leadops_crm_writeback_total":       "counter",
	"leadops_crm_writeback_lag_seconds": "gauge",
	"leadops_crm_api_requests_total":    "counter",
	// Lead events out (internal/events).
	"leadops_event_deliveries_total":           "counter",
	"leadops_event_delivery_attempts_total":    "counter",
	"leadops_event_subscription_lag_seconds":   "gauge",
	"leadops_event_subscription_disabled":      "gauge",
	"leadops_event_subscription_config_errors": "gauge",
	// Personal data retention (main_retention.go).
	"leadops_personal_data_erased_total": "counter",
}

// seriesName maps a series name in a query to its metric family, or "" when it is not exported.
func seriesName(name string) string {
	if _, ok := exportedMetrics[name]; ok {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exportedMetrics[base] == "histogram" {
			return base
		}
	}
	return ""
}

var (
	leadopsName = regexp.MustCompile(`\bleadops_[a-zA-Z0-9_:]*`)
	// A selector `name{` or `name[`: any metric a query reads, leadops or not.
	selectorName = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]`)
	grafanaVar   = regexp.MustCompile(`\$(__rate_interval|__interval|__range)|\$\{?[a-zA-Z_]+\}?`)
)

// dashboardQueries returns every PromQL query in a Grafana dashboard: panel targets (also in rows)
// and query variables.
func dashboardQueries(t *testing.T, dash map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	var panels func(ps []any)
	panels = func(ps []any) {
		for _, p := range ps {
			pm, _ := p.(map[string]any)
			title, _ := pm["title"].(string)
			targets, _ := pm["targets"].([]any)
			for i, tg := range targets {
				if expr, _ := tg.(map[string]any)["expr"].(string); expr != "" {
					out[fmt.Sprintf("panel %q target %d", title, i)] = expr
				}
			}
			if pm["type"] != "row" && len(targets) == 0 {
				t.Errorf("panel %q has no queries", title)
			}
			if nested, ok := pm["panels"].([]any); ok {
				panels(nested)
			}
		}
	}
	ps, _ := dash["panels"].([]any)
	panels(ps)
	templating, _ := dash["templating"].(map[string]any)
	vars, _ := templating["list"].([]any)
	for _, v := range vars {
		vm := v.(map[string]any)
		if vm["type"] != "query" {
			continue
		}
		q := vm["query"]
		if qm, ok := q.(map[string]any); ok {
			q = qm["query"]
		}
		if s, _ := q.(string); s != "" {
			out[fmt.Sprintf("variable %v", vm["name"])] = s
		}
	}
	return out
}

func loadDashboard(t *testing.T) map[string]any {
	t.Helper()
	objs := objectsByKind(t, "config/grafana")
	u := objs["ConfigMap"]["leadops-grafana-dashboard"]
	if u == nil {
		t.Fatalf("no ConfigMap leadops-grafana-dashboard: %v", keys(objs["ConfigMap"]))
	}
	cm := typed[*corev1.ConfigMap](t, u)
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("the dashboard ConfigMap lacks the label grafana_dashboard=1 the Grafana sidecar looks for: %v", cm.Labels)
	}
	raw, ok := cm.Data["leadops-dashboard.json"]
	if !ok {
		t.Fatalf("the ConfigMap has no leadops-dashboard.json: %v", keys(cm.Data))
	}
	var dash map[string]any
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("leadops-dashboard.json does not parse: %v", err)
	}
	return dash
}

// TestGrafanaDashboard: the dashboard parses, covers SLA compliance, breaches, queue, goal progress
// and team utilization, and queries only metrics the manager exports.
func TestGrafanaDashboard(t *testing.T) {
	dash := loadDashboard(t)
	if dash["uid"] == "" || dash["title"] == "" {
		t.Errorf("dashboard needs a uid and a title")
	}
	queries := dashboardQueries(t, dash)
	if len(queries) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	used := map[string]bool{}
	for where, q := range queries {
		names := leadopsName.FindAllString(q, -1)
		if len(names) == 0 {
			t.Errorf("%s reads no leadops metric: %s", where, q)
		}
		for _, n := range names {
			if fam := seriesName(n); fam == "" {
				t.Errorf("%s reads %s, which the manager does not export: %s", where, n, q)
			} else {
				used[fam] = true
			}
		}
		for _, m := range selectorName.FindAllStringSubmatch(q, -1) {
			if strings.HasPrefix(m[1], "leadops_") || isPromQLFunction(m[1]) {
				continue
			}
			t.Errorf("%s reads %s, which is not a leadops metric: %s", where, m[1], q)
		}
	}
	for _, need := range []string{"leadops_sla_compliance_ratio", "leadops_sla_breaches_total", "leadops_routing_queue_leads",
		"leadops_goal_progress_ratio", "leadops_team_utilization_ratio"} {
		if !used[need] {
			t.Errorf("the dashboard does not show %s", need)
		}
	}
}

// isPromQLFunction tells the words that may precede `(`... or `[`/`{` in a query without being
// metrics; selectorName only matches `{` and `[`, so only the range/label syntax matters here.
func isPromQLFunction(s string) bool {
	switch s {
	case "by", "without", "on", "ignoring", "group_left", "group_right", "offset":
		return true
	}
	return false
}

// TestGrafanaDashboardQueriesParse parses every dashboard query with the real PromQL parser: promtool
// checks them as recording rules, with Grafana's variables replaced by values.
func TestGrafanaDashboardQueriesParse(t *testing.T) {
	bin := promtool(t)
	queries := dashboardQueries(t, loadDashboard(t))
	var where []string
	for w := range queries {
		where = append(where, w)
	}
	sort.Strings(where)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, w := range where {
		q := queries[w]
		if strings.HasPrefix(q, "label_values(") {
			// label_values(metric, label) is Grafana's, not PromQL; check the metric part.
			q = strings.TrimSuffix(strings.TrimPrefix(q, "label_values("), ")")
			q = strings.TrimSpace(strings.Split(q, ",")[0])
		}
		q = grafanaVar.ReplaceAllStringFunc(q, func(v string) string {
			if strings.HasPrefix(v, "$__") {
				return "5m"
			}
			return ".*"
		})
		expr, _ := json.Marshal(q)
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", i, expr)
	}
	f := filepath.Join(t.TempDir(), "dashboard.rules.yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("a dashboard query does not parse: %v\n%s\nqueries (in order): %q", err, out, where)
	}
}

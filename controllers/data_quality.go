package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/store"
)

// dataQualityStore is the store's per-source data-quality aggregate.
type dataQualityStore interface {
	DataQuality(ctx context.Context, q store.DataQualityQuery) ([]store.SourceQuality, error)
}

// Data-quality metric: the share of the last DataQualityMetricWindow's leads of each source missing
// each field. Sources are not personal data, but they are free text sent by marketing tools: the
// DataQualityTopSources largest sources by volume keep their name, the rest are summed as "other"
// (and a lead without a source is "none"), so the series are at most (N+2) × 5.
var fieldMissingRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "leadops_lead_field_missing_ratio",
	Help: "Share of the leads created in the last 7 days by source missing the field (email, company, country, employees) or duplicates; the top 20 sources by volume, the rest as source=\"other\".",
}, []string{"source", "field"})

func init() { metrics.Registry.MustRegister(fieldMissingRatio) }

const (
	// DataQualityTopSources is how many sources keep their own label in leadops_lead_field_missing_ratio.
	DataQualityTopSources = 20
	// DataQualityMetricWindow is the trailing window of the metric.
	DataQualityMetricWindow = 7 * 24 * time.Hour
	// defaultDataQualityWindow and defaultDataQualityMinLeads are spec.dataQuality's defaults.
	defaultDataQualityWindow   = 7 * 24 * time.Hour
	defaultDataQualityMinLeads = 10
)

// sourceLabels folds per-source counts into at most top named sources plus "other" ("none" for the
// leads without a source), largest first.
func sourceLabels(qs []store.SourceQuality, top int) []store.SourceQuality {
	sorted := append([]store.SourceQuality(nil), qs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Leads > sorted[j].Leads })
	var out []store.SourceQuality
	other := store.SourceQuality{Source: "other", Missing: map[string]int64{}}
	for _, q := range sorted {
		if q.Source == "" {
			q.Source = "none"
		}
		if len(out) < top && q.Source != "other" {
			out = append(out, q)
			continue
		}
		other.Leads += q.Leads
		for f, n := range q.Missing {
			other.Missing[f] += n
		}
	}
	if other.Leads > 0 {
		out = append(out, other)
	}
	return out
}

// dataQualityCollector refreshes leadops_lead_field_missing_ratio from the store every Interval.
type dataQualityCollector struct {
	Store    dataQualityStore
	Clock    clock.Clock
	Interval time.Duration
}

func (c *dataQualityCollector) Start(ctx context.Context) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		c.collect(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (c *dataQualityCollector) collect(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, c.Interval)
	defer cancel()
	qs, err := c.Store.DataQuality(qctx, store.DataQualityQuery{Since: c.Clock.Now().Add(-DataQualityMetricWindow)})
	if err != nil {
		log.FromContext(ctx).Error(err, "reading the data-quality aggregate for leadops_lead_field_missing_ratio")
		return
	}
	fieldMissingRatio.Reset()
	for _, q := range sourceLabels(qs, DataQualityTopSources) {
		for _, f := range store.DataQualityFields {
			fieldMissingRatio.WithLabelValues(q.Source, f).Set(q.Ratio(f))
		}
	}
}

// reconcileDataQuality sets DataQualityLow from the share of the policy's leads of each source in the
// window missing each checked field; a policy without spec.dataQuality carries no such condition.
func (r *LeadPolicyReconciler) reconcileDataQuality(ctx context.Context, policy *leadopsv1.LeadPolicy) error {
	dq := policy.Spec.DataQuality
	st, ok := r.Store.(dataQualityStore)
	if dq == nil || !ok || r.Store == nil {
		meta.RemoveStatusCondition(&policy.Status.Conditions, leadopsv1.ConditionDataQualityLow)
		return nil
	}
	window := defaultDataQualityWindow
	if d, err := time.ParseDuration(string(dq.Window)); err == nil && d > 0 {
		window = d
	}
	minLeads := int64(dq.MinLeads)
	if minLeads <= 0 {
		minLeads = defaultDataQualityMinLeads
	}
	fields := make([]string, 0, len(dq.Fields))
	for _, f := range dq.Fields {
		fields = append(fields, string(f))
	}
	if len(fields) == 0 {
		fields = []string{store.FieldEmail, store.FieldCompany, store.FieldCountry, store.FieldEmployees}
	}
	key := policy.Namespace + "/" + policy.Name
	qs, err := st.DataQuality(ctx, store.DataQualityQuery{Policy: key, Since: r.Clock.Now().Add(-window)})
	if err != nil {
		return fmt.Errorf("reading the data quality of policy %s from the lead store: %w", key, err)
	}
	status, reason, msg := dataQualityVerdict(qs, fields, float64(dq.MaxMissingPercent), minLeads, window)
	setCondition(&policy.Status.Conditions, policy.Generation, leadopsv1.ConditionDataQualityLow, status, reason, msg)
	return nil
}

// dataQualityVerdict names every source and field over the threshold, worst first.
func dataQualityVerdict(qs []store.SourceQuality, fields []string, maxPercent float64, minLeads int64, window time.Duration) (metav1.ConditionStatus, string, string) {
	type over struct {
		source, field string
		pct           float64
		n, of         int64
	}
	var bad []over
	judged := 0
	for _, q := range qs {
		if q.Leads < minLeads {
			continue
		}
		judged++
		for _, f := range fields {
			if pct := 100 * q.Ratio(f); pct > maxPercent {
				src := q.Source
				if src == "" {
					src = "(none)"
				}
				bad = append(bad, over{src, f, pct, q.Missing[f], q.Leads})
			}
		}
	}
	if len(bad) == 0 {
		return metav1.ConditionFalse, leadopsv1.ReasonDataQualityOK, fmt.Sprintf(
			"%d sources with at least %d leads in the last %s; none over %g%% missing %s", judged, minLeads, window, maxPercent, strings.Join(fields, ", "))
	}
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].pct > bad[j].pct })
	parts := make([]string, len(bad))
	for i, b := range bad {
		what := "missing " + b.field
		if b.field == store.FieldDuplicates {
			what = "duplicates"
		}
		parts[i] = fmt.Sprintf("source %q: %.0f%% %s (%d of %d)", b.source, b.pct, what, b.n, b.of)
	}
	return metav1.ConditionTrue, leadopsv1.ReasonMissingFields, fmt.Sprintf("over %g%% in the last %s: %s", maxPercent, window, strings.Join(parts, "; "))
}

package goals

import (
	"math"
	"time"
)

// Metric is what a goal measures; the names match the TeamGoal API.
type Metric string

// The metrics a goal can measure.
const (
	MetricNewLeads         Metric = "NewLeads"
	MetricMQLs             Metric = "MQLs"
	MetricAccepted         Metric = "Accepted"
	MetricSQLs             Metric = "SQLs"
	MetricWonDeals         Metric = "WonDeals"
	MetricRevenue          Metric = "Revenue"
	MetricConversionRate   Metric = "ConversionRate"
	MetricSLACompliance    Metric = "SLACompliance"
	MetricTimeToFirstTouch Metric = "TimeToFirstTouch"
)

// Metrics lists every metric in API order.
var Metrics = []Metric{
	MetricNewLeads, MetricMQLs, MetricAccepted, MetricSQLs, MetricWonDeals, MetricRevenue,
	MetricConversionRate, MetricSLACompliance, MetricTimeToFirstTouch,
}

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool {
	for _, k := range Metrics {
		if m == k {
			return true
		}
	}
	return false
}

// Cumulative reports whether the metric accumulates over the period (a count or a sum), so that it
// only grows and its pace can be extrapolated.
func (m Metric) Cumulative() bool {
	switch m {
	case MetricNewLeads, MetricMQLs, MetricAccepted, MetricSQLs, MetricWonDeals, MetricRevenue:
		return true
	}
	return false
}

// LowerIsBetter reports whether smaller values are better (TimeToFirstTouch).
func (m Metric) LowerIsBetter() bool { return m == MetricTimeToFirstTouch }

// Percentage reports whether values are percentages in [0, 100].
func (m Metric) Percentage() bool { return m == MetricConversionRate || m == MetricSLACompliance }

// IsDuration reports whether values are durations, in seconds.
func (m Metric) IsDuration() bool { return m == MetricTimeToFirstTouch }

// Count reports whether values are whole counts of leads.
func (m Metric) Count() bool { return m.Cumulative() && m != MetricRevenue }

// noun is how messages name the metric.
func (m Metric) noun() string {
	switch m {
	case MetricNewLeads:
		return "new leads"
	case MetricMQLs:
		return "MQLs"
	case MetricAccepted:
		return "accepted leads"
	case MetricSQLs:
		return "SQLs"
	case MetricWonDeals:
		return "won deals"
	case MetricRevenue:
		return "revenue"
	case MetricConversionRate:
		return "conversion rate"
	case MetricSLACompliance:
		return "SLA compliance"
	case MetricTimeToFirstTouch:
		return "median time to first touch"
	}
	return string(m)
}

// decimals is how many decimals a value of the metric is shown and rounded with (seconds for
// durations).
func (m Metric) decimals() int {
	if m == MetricRevenue || m.Percentage() {
		return 2
	}
	return 0
}

// Measure is a metric's value over some stretch of time. Valid is false when there is nothing to
// measure: a rate or median over no leads. For cumulative metrics an invalid Measure counts as 0, since
// no leads is a real zero.
type Measure struct {
	Value float64
	Valid bool
}

// Known returns a valid Measure of v, or an invalid one if v is NaN or ±Inf.
func Known(v float64) Measure {
	if !finite(v) {
		return Measure{}
	}
	return Measure{Value: v, Valid: true}
}

// FromDuration is the value of a TimeToFirstTouch duration: its seconds.
func FromDuration(d time.Duration) float64 { return d.Seconds() }

// ToDuration turns a TimeToFirstTouch value back into a duration, rounded to the nanosecond and
// saturated at the bounds of time.Duration; NaN is 0.
func ToDuration(seconds float64) time.Duration {
	switch ns := seconds * 1e9; {
	case math.IsNaN(ns):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	default:
		return time.Duration(math.Round(ns))
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

package experiment

import (
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
)

// Metric is what an experiment compares; the names match the LeadExperiment API.
type Metric string

// The experiment metrics.
const (
	AcceptanceRate   Metric = "AcceptanceRate"
	ConversionRate   Metric = "ConversionRate"
	RevenuePerLead   Metric = "RevenuePerLead"
	TimeToFirstTouch Metric = "TimeToFirstTouch"
	SLACompliance    Metric = "SLACompliance"
)

// Metrics lists every metric in API order.
var Metrics = []Metric{AcceptanceRate, ConversionRate, RevenuePerLead, TimeToFirstTouch, SLACompliance}

// Kind is the shape of a metric's data, which decides its test.
type Kind int

// Metric kinds.
const (
	Rate   Kind = iota // events out of measured leads: two-proportion z-test
	Mean               // a value per measured lead: Welch's t-test
	Ranked             // a duration per measured lead, skewed: Mann–Whitney U
)

// Kind of the metric.
func (m Metric) Kind() Kind {
	switch m {
	case RevenuePerLead:
		return Mean
	case TimeToFirstTouch:
		return Ranked
	}
	return Rate
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

// LowerIsBetter reports whether smaller values win (TimeToFirstTouch).
func (m Metric) LowerIsBetter() bool { return m == TimeToFirstTouch }

// Measured names the leads a metric measures in one arm, for messages.
func (m Metric) Measured() string {
	switch m {
	case TimeToFirstTouch:
		return "touched leads"
	case SLACompliance:
		return "decided handoffs"
	}
	return "routed leads"
}

// ArmSample is what one arm's leads give for one metric. Per lead, the definitions are TeamGoal's
// (internal/goals), without a period window (the experiment's leads are the window):
//
//	AcceptanceRate    N = routed leads, Events = those accepted (goals.IsAccepted)
//	ConversionRate    N = routed leads, Events = those won (goals.IsWon)
//	RevenuePerLead    N = routed leads, Values = won amount per routed lead, 0 if not won; Events = won
//	TimeToFirstTouch  N = leads routed and touched, Values = seconds from routing to first touch
//	SLACompliance     N = qualified, routed leads whose handoff is decided as of now
//	                  (goals.SLADecided), Events = the compliant ones
type ArmSample struct {
	Name string
	// Leads is every lead the arm took in.
	Leads int64
	// N is how many of them the metric measures.
	N int64
	// Events counts the successes of a rate (and won deals for RevenuePerLead).
	Events int64
	// Values are the per-lead values of a Mean or Ranked metric, one per measured lead.
	Values []float64
}

// Collector builds the ArmSamples of one metric from a stream of leads, so a store can hand leads
// over one at a time.
type Collector struct {
	metric Metric
	now    time.Time
	index  map[string]int
	arms   []ArmSample
	// Unassigned counts leads whose arm is not one of the experiment's (left out).
	Unassigned int64
}

// NewCollector starts collecting metric m for the arms, in order (the first is the control). now
// decides which SLA handoffs are overdue.
func NewCollector(m Metric, arms []string, now time.Time) *Collector {
	c := &Collector{metric: m, now: now, index: make(map[string]int, len(arms))}
	for i, a := range arms {
		c.index[a] = i
		c.arms = append(c.arms, ArmSample{Name: a})
	}
	return c
}

// Add counts lead l in arm.
func (c *Collector) Add(arm string, l *lead.Lead) {
	i, ok := c.index[arm]
	if !ok {
		c.Unassigned++
		return
	}
	s := &c.arms[i]
	s.Leads++
	switch c.metric {
	case AcceptanceRate, ConversionRate, RevenuePerLead:
		if !goals.IsRouted(l) {
			return
		}
		s.N++
		switch {
		case c.metric == AcceptanceRate && goals.IsAccepted(l):
			s.Events++
		case c.metric != AcceptanceRate && goals.IsWon(l):
			s.Events++
		}
		if c.metric == RevenuePerLead {
			s.Values = append(s.Values, goals.WonRevenue(l))
		}
	case TimeToFirstTouch:
		if v, ok := goals.FirstTouchSeconds(l); ok {
			s.N++
			s.Values = append(s.Values, v)
		}
	case SLACompliance:
		if decided, compliant := goals.SLADecided(l, c.now); decided {
			s.N++
			if compliant {
				s.Events++
			}
		}
	}
}

// Samples returns the arms' samples, in the order given to NewCollector.
func (c *Collector) Samples() []ArmSample { return c.arms }

// Samples groups leads by armOf (the arm recorded on each lead) and collects metric m per arm.
func Samples(m Metric, arms []string, leads []*lead.Lead, armOf func(*lead.Lead) string, now time.Time) ([]ArmSample, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("unknown experiment metric %q: use one of %v", m, Metrics)
	}
	c := NewCollector(m, arms, now)
	for _, l := range leads {
		c.Add(armOf(l), l)
	}
	return c.Samples(), nil
}

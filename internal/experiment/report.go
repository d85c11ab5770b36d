package experiment

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Definition is an experiment as its evaluation needs it, in plain values (the caller reads them
// from the LeadExperiment: spec order of arms, the parsed confidence, the resolved window).
type Definition struct {
	// Arms are the arm names in spec order; the first is the control.
	Arms      []string
	Metric    Metric
	Secondary []Metric
	// Confidence is the level (0.95).
	Confidence     float64
	MinLeadsPerArm int64
	// Start and End are the window the experiment takes leads in; End is zero when none is set.
	Start, End time.Time
}

// Report is an experiment's evaluation: the verdict on the primary metric and the figures of the
// secondary ones (no verdict: they are context, and testing them too would multiply the chances
// of a false winner).
type Report struct {
	Primary   Verdict
	Secondary []Figured
	// Unassigned counts leads handed to the evaluator with an arm the definition does not have.
	Unassigned int64
}

// Figured is one secondary metric's per-arm figures.
type Figured struct {
	Metric Metric
	Arms   []ArmResult
}

// Evaluator collects an experiment's leads, one at a time, for every metric it reports.
type Evaluator struct {
	def        Definition
	now        time.Time
	collectors []*Collector // primary first
}

// NewEvaluator starts an evaluation as of now.
func NewEvaluator(def Definition, now time.Time) *Evaluator {
	e := &Evaluator{def: def, now: now}
	for _, m := range append([]Metric{def.Metric}, def.Secondary...) {
		e.collectors = append(e.collectors, NewCollector(m, def.Arms, now))
	}
	return e
}

// Add counts lead l in arm for every metric.
func (e *Evaluator) Add(arm string, l *lead.Lead) {
	for _, c := range e.collectors {
		c.Add(arm, l)
	}
}

// Report evaluates what was added.
func (e *Evaluator) Report() Report {
	spec := Spec{Metric: e.def.Metric, Confidence: e.def.Confidence, MinLeadsPerArm: e.def.MinLeadsPerArm, End: e.def.End}
	r := Report{Primary: Evaluate(spec, e.collectors[0].Samples(), e.now), Unassigned: e.collectors[0].Unassigned}
	conf := spec.Confidence
	if conf <= 0 || conf >= 1 {
		conf = DefaultConfidence
	}
	for i, m := range e.def.Secondary {
		r.Secondary = append(r.Secondary, Figured{Metric: m, Arms: Figures(m, conf, e.collectors[i+1].Samples())})
	}
	return r
}

// Status strings, as LeadExperiment's status and printer columns show them.

// Summary is each arm and the leads it took in: "control=120 b=118".
func (v Verdict) Summary() string {
	parts := make([]string, len(v.Arms))
	for i, a := range v.Arms {
		parts[i] = fmt.Sprintf("%s=%d", a.Name, a.Leads)
	}
	return strings.Join(parts, " ")
}

// MetricSummary is the primary metric per arm: "31.0% / 38.5%" ("-" for an arm with no value).
func (v Verdict) MetricSummary() string {
	parts := make([]string, len(v.Arms))
	for i, a := range v.Arms {
		parts[i] = "-"
		if a.HasValue {
			parts[i] = FormatValue(v.Metric, a.Value)
		}
	}
	return strings.Join(parts, " / ")
}

// LeaderLift is the lift of the best non-control arm over the control ("+24.2%"), "" when unknown.
func (v Verdict) LeaderLift() string {
	if v.Leader < 0 {
		return ""
	}
	a := v.Arms[v.Leader]
	return FormatLift(a.Lift, a.HasLift)
}

// ConfidenceString is 1 − the leader's adjusted p as a percentage ("97.2%"), "" when unknown.
func (v Verdict) ConfidenceString() string {
	if !v.HasConfidence {
		return ""
	}
	return fmt.Sprintf("%.1f%%", 100*v.Confidence)
}

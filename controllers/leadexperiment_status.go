package controllers

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/lead"
)

// experimentStore is what the LeadExperiment reconciler reads from the lead store: the leads the
// router assigned to a policy-arm experiment, or the leads created in an observational
// experiment's window.
type experimentStore interface {
	ExperimentLeads(ctx context.Context, experiment string, fn func(*lead.Lead) error) error
	LeadsCreatedBetween(ctx context.Context, start, end time.Time, fn func(*lead.Lead) error) error
}

// Experiment metrics, per arm. Labels are object and arm names only.
var (
	experimentArmLeads = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_experiment_arm_leads",
		Help: "Leads a LeadExperiment's arm took in, as of its last evaluation, by experiment (namespace/name) and arm.",
	}, []string{"experiment", "arm"})
	experimentArmValue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadops_experiment_arm_value",
		Help: "A LeadExperiment arm's value of a metric (primary and secondary) as of its last evaluation: a percentage for rates, an amount for RevenuePerLead, seconds for TimeToFirstTouch.",
	}, []string{"experiment", "arm", "metric"})
)

func init() {
	metrics.Registry.MustRegister(experimentArmLeads, experimentArmValue)
}

// evaluate computes the experiment's figures from the store and writes status, the Concluded
// condition (with its one Event) and the arm metrics.
func (r *LeadExperimentReconciler) evaluate(ctx context.Context, x *leadopsv1.LeadExperiment, e *resolvedExperiment, now time.Time) error {
	conf, _ := experiment.ParseConfidence(x.Spec.Confidence) // checked by resolveExperiment
	def := experiment.Definition{Arms: e.armNames(), Metric: experiment.Metric(x.Spec.Metric), Confidence: conf,
		MinLeadsPerArm: int64(x.Spec.MinLeadsPerArm), Start: e.Start, End: e.End}
	if def.MinLeadsPerArm <= 0 {
		def.MinLeadsPerArm = 100
	}
	for _, m := range x.Spec.SecondaryMetrics {
		if mm := experiment.Metric(m); mm.Valid() && mm != def.Metric {
			def.Secondary = append(def.Secondary, mm)
		}
	}
	ev := experiment.NewEvaluator(def, now)
	var err error
	if e.Observational {
		err = r.Store.LeadsCreatedBetween(ctx, e.Start, windowEnd(e, now), func(l *lead.Lead) error {
			if arm := observedArm(e, l); arm != "" {
				ev.Add(arm, l)
			}
			return nil
		})
	} else {
		err = r.Store.ExperimentLeads(ctx, e.Key, func(l *lead.Lead) error {
			ev.Add(l.Arm, l)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("reading the leads of experiment %s: %w", e.Key, err)
	}
	rep := ev.Report()
	v := rep.Primary
	writeVerdict(&x.Status, def.Metric, v)
	t := metav1.NewTime(now)
	x.Status.LastEvaluatedTime = &t
	figures := append([]experiment.Figured{{Metric: def.Metric, Arms: v.Arms}}, rep.Secondary...)
	for i, f := range figures {
		for _, a := range f.Arms {
			if i == 0 {
				experimentArmLeads.WithLabelValues(e.Key, a.Name).Set(float64(a.Leads))
			}
			if a.HasValue {
				experimentArmValue.WithLabelValues(e.Key, a.Name, string(f.Metric)).Set(a.Value)
			} else {
				experimentArmValue.DeleteLabelValues(e.Key, a.Name, string(f.Metric))
			}
		}
	}
	ended := e.phaseAt(now) == phaseEnded
	status := metav1.ConditionFalse
	if ended {
		status = metav1.ConditionTrue
	}
	prev := meta.FindStatusCondition(x.Status.Conditions, leadopsv1.ConditionConcluded)
	wasConcluded := prev != nil && prev.Status == metav1.ConditionTrue
	setCondition(&x.Status.Conditions, x.Generation, leadopsv1.ConditionConcluded, status, string(v.Reason), v.Message)
	if ended && !wasConcluded {
		r.announceConcluded(x, string(v.Reason), v.Message)
	}
	return nil
}

// windowEnd is the end of the window observed so far: the experiment's end, or now before it.
func windowEnd(e *resolvedExperiment, now time.Time) time.Time {
	if e.End.IsZero() || now.Before(e.End) {
		return now
	}
	return e.End
}

// observedArm is the first observational arm whose filter selects l ("" for none). A filter that
// fails on a lead does not select it.
func observedArm(e *resolvedExperiment, l *lead.Lead) string {
	cl := celenv.FromLead(l)
	for _, a := range e.Arms {
		if a.Filter == nil {
			return a.Name
		}
		if ok, err := a.Filter.Eval(cl); err == nil && ok {
			return a.Name
		}
	}
	return ""
}

// writeVerdict fills the status figures from a verdict on the primary metric.
func writeVerdict(st *leadopsv1.LeadExperimentStatus, m experiment.Metric, v experiment.Verdict) {
	st.Arms = nil
	for i, a := range v.Arms {
		as := leadopsv1.ExperimentArmStatus{Name: a.Name, Leads: a.Leads}
		if m.Kind() == experiment.Rate {
			as.Events = a.Events
		}
		if a.HasValue {
			as.Value = experiment.FormatValue(m, a.Value)
		}
		as.Interval = experiment.FormatInterval(m, a.Low, a.High, a.HasInterval)
		if i > 0 {
			as.Lift = experiment.FormatLift(a.Lift, a.HasLift)
			if a.Test.Valid {
				as.PValue = experiment.FormatP(a.PAdjusted)
			}
		}
		st.Arms = append(st.Arms, as)
	}
	st.Summary, st.MetricSummary = v.Summary(), v.MetricSummary()
	st.Lift, st.Confidence, st.Winner, st.AdditionalLeadsNeeded = v.LeaderLift(), v.ConfidenceString(), "", nil
	if v.Reason == experiment.ReasonWinner {
		st.Winner = v.Winner
	}
	if v.HasAdditional {
		n := v.AdditionalLeadsNeeded
		st.AdditionalLeadsNeeded = &n
	}
}

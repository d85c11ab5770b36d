package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/lead"
)

// experimentSource is where an experiment's leads come from: the store's experiment streams when
// the store is opened directly, else every lead listed once through the HTTP API.
type experimentSource interface {
	// ExperimentLeads calls fn for every lead the router assigned to an arm of experiment
	// ("namespace/name").
	ExperimentLeads(ctx context.Context, experiment string, fn func(*lead.Lead) error) error
	// LeadsCreatedBetween calls fn for every lead created in [start, end): the candidates of an
	// observational experiment's arms.
	LeadsCreatedBetween(ctx context.Context, start, end time.Time, fn func(*lead.Lead) error) error
}

// experimentSourceFor picks the experiment source for the backend.
func experimentSourceFor(ctx context.Context, b backend) (experimentSource, error) {
	if sb, ok := b.(*storeBackend); ok {
		if st, ok := sb.st.(experimentSource); ok {
			return st, nil
		}
	}
	return loadAll(ctx, b)
}

// ExperimentLeads selects the leads recorded in the experiment, as the store does.
func (s *listSource) ExperimentLeads(_ context.Context, key string, fn func(*lead.Lead) error) error {
	for _, l := range s.all {
		if l.Experiment == key {
			if err := fn(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// LeadsCreatedBetween selects the leads created in [start, end).
func (s *listSource) LeadsCreatedBetween(_ context.Context, start, end time.Time, fn func(*lead.Lead) error) error {
	for _, l := range s.all {
		if c := l.CreatedAt; within(&c, start, end) {
			if err := fn(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// experimentWindow is the experiment's window as the controller reads it: start is spec.start, else
// the creation time (zero for an object read from a file that names neither: from the first lead
// on); end is spec.end, else start + duration, else none (zero).
func experimentWindow(x *leadopsv1.LeadExperiment) (start, end time.Time, err error) {
	start = x.CreationTimestamp.Time
	if x.Spec.Start != nil {
		start = x.Spec.Start.Time
	}
	switch {
	case x.Spec.End != nil:
		end = x.Spec.End.Time
	case x.Spec.Duration != "":
		d, perr := time.ParseDuration(string(x.Spec.Duration))
		if perr != nil || d <= 0 {
			return start, end, fmt.Errorf("spec.duration %q is not a positive duration", x.Spec.Duration)
		}
		if start.IsZero() {
			return start, end, errors.New("spec.duration needs spec.start (the object from a file has no creation time to count from)")
		}
		end = start.Add(d)
	}
	return start, end, nil
}

// experimentPhase is Pending before the start, Running in the window, Ended from its end on.
func experimentPhase(start, end, now time.Time) string {
	switch {
	case !start.IsZero() && now.Before(start):
		return "Pending"
	case !end.IsZero() && !now.Before(end):
		return "Ended"
	}
	return "Running"
}

// evaluateExperiment reads the experiment's leads and evaluates it as of now: policy arms by the arm
// the router recorded on each lead, observational arms by their filters over the leads created in
// the window (a lead matching several filters counts in the first).
func evaluateExperiment(ctx context.Context, src experimentSource, x *leadopsv1.LeadExperiment, now time.Time) (*ExperimentReport, error) {
	conf, err := experiment.ParseConfidence(x.Spec.Confidence)
	if err != nil {
		return nil, fmt.Errorf("spec.confidence: %w", err)
	}
	metric := experiment.Metric(x.Spec.Metric)
	if !metric.Valid() {
		return nil, fmt.Errorf("spec.metric: unknown metric %q", x.Spec.Metric)
	}
	var secondary []experiment.Metric
	for _, m := range x.Spec.SecondaryMetrics {
		if sm := experiment.Metric(m); sm.Valid() && sm != metric {
			secondary = append(secondary, sm)
		}
	}
	start, end, err := experimentWindow(x)
	if err != nil {
		return nil, err
	}
	minimum := int64(x.Spec.MinLeadsPerArm)
	if minimum == 0 {
		minimum = 100
	}
	arms := make([]string, len(x.Spec.Arms))
	filters := make([]*celenv.Program, len(x.Spec.Arms))
	observational := len(x.Spec.Arms) > 0 && x.Spec.Arms[0].PolicyRef == nil
	for i, a := range x.Spec.Arms {
		arms[i] = a.Name
		if observational {
			if filters[i], err = celenv.Compile(string(a.Filter)); err != nil {
				return nil, fmt.Errorf("spec.arms[%d].filter: %w", i, err)
			}
		}
	}
	def := experiment.Definition{Arms: arms, Metric: metric, Secondary: secondary, Confidence: conf, MinLeadsPerArm: minimum, Start: start, End: end}
	ev := experiment.NewEvaluator(def, now)
	key := x.Namespace + "/" + x.Name
	if observational {
		until := now
		if !end.IsZero() && end.Before(now) {
			until = end
		}
		err = src.LeadsCreatedBetween(ctx, start, until, func(l *lead.Lead) error {
			cl := celenv.FromLead(l)
			for i, f := range filters {
				if ok, ferr := f.Eval(cl); ferr == nil && ok {
					ev.Add(arms[i], l)
					return nil
				}
			}
			return nil
		})
	} else {
		err = src.ExperimentLeads(ctx, key, func(l *lead.Lead) error {
			ev.Add(l.Arm, l)
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("reading the leads of experiment %s: %w", key, err)
	}
	return newExperimentReport(key, x, def, ev.Report(), experimentPhase(start, end, now), now), nil
}

// ExperimentReport is `leadctl experiment report -o json`, and an experiment in the scorecard.
type ExperimentReport struct {
	Experiment     string     `json:"experiment"`
	Metric         string     `json:"metric"`
	Confidence     string     `json:"confidence"`
	MinLeadsPerArm int64      `json:"minLeadsPerArm"`
	Observational  bool       `json:"observational"`
	Start          *time.Time `json:"start,omitempty"`
	End            *time.Time `json:"end,omitempty"`
	AsOf           time.Time  `json:"asOf"`
	Phase          string     `json:"phase"`
	// Verdict is the Concluded condition's reason: InsufficientData, Running, Winner or
	// NoSignificantDifference.
	Verdict string `json:"verdict"`
	Winner  string `json:"winner,omitempty"`
	Message string `json:"message"`
	// Lift and LeaderConfidence are the best non-control arm's, as the status shows them.
	Lift                  string             `json:"lift,omitempty"`
	LeaderConfidence      string             `json:"leaderConfidence,omitempty"`
	AdditionalLeadsNeeded *int64             `json:"additionalLeadsNeeded,omitempty"`
	Arms                  []ExperimentArmRow `json:"arms"`
	Secondary             []ExperimentMetric `json:"secondary,omitempty"`
	// Unassigned counts leads recorded in the experiment under an arm it no longer has.
	Unassigned int64 `json:"unassigned,omitempty"`

	arms []experiment.ArmResult // the primary figures, for the chart
}

// ExperimentMetric is a secondary metric's per-arm figures.
type ExperimentMetric struct {
	Metric string             `json:"metric"`
	Arms   []ExperimentArmRow `json:"arms"`

	arms []experiment.ArmResult
}

// ExperimentArmRow is one arm's figures for one metric; numbers for machines beside the strings
// the status shows.
type ExperimentArmRow struct {
	Name string `json:"name"`
	// Leads the arm took in; Measured of them count in the metric (routed, touched or decided).
	Leads    int64 `json:"leads"`
	Measured int64 `json:"measured"`
	// Events counts accepted, won or compliant leads (rates) and won deals (revenue per lead).
	Events *int64 `json:"events,omitempty"`
	// Value, Interval, Lift and PValue as the status shows them ("38.5%", "33.1%..44.2%", "+24.2%",
	// "0.012"); PValue is Holm-adjusted.
	Value    string `json:"value,omitempty"`
	Interval string `json:"interval,omitempty"`
	Lift     string `json:"lift,omitempty"`
	PValue   string `json:"pValue,omitempty"`
	// Standing is control, winner, better, worse (significantly, after adjustment) or
	// not significant; untested when there is too little data to test.
	Standing string   `json:"standing"`
	Number   *float64 `json:"number,omitempty"`
	Low      *float64 `json:"low,omitempty"`
	High     *float64 `json:"high,omitempty"`
	P        *float64 `json:"p,omitempty"`
}

func newExperimentReport(key string, x *leadopsv1.LeadExperiment, def experiment.Definition, r experiment.Report, phase string, now time.Time) *ExperimentReport {
	v := r.Primary
	out := &ExperimentReport{Experiment: key, Metric: string(def.Metric), Confidence: experiment.FormatPercent(def.Confidence),
		MinLeadsPerArm: def.MinLeadsPerArm, Observational: len(x.Spec.Arms) > 0 && x.Spec.Arms[0].PolicyRef == nil,
		AsOf: now, Phase: phase, Verdict: string(v.Reason), Winner: v.Winner, Message: v.Message,
		Lift: v.LeaderLift(), LeaderConfidence: v.ConfidenceString(), Unassigned: r.Unassigned, arms: v.Arms}
	if !def.Start.IsZero() {
		s := def.Start.UTC()
		out.Start = &s
	}
	if !def.End.IsZero() {
		e := def.End.UTC()
		out.End = &e
	}
	if v.HasAdditional {
		n := v.AdditionalLeadsNeeded
		out.AdditionalLeadsNeeded = &n
	}
	out.Arms = armRows(def.Metric, v.Arms, v.Winner)
	for _, s := range r.Secondary {
		out.Secondary = append(out.Secondary, ExperimentMetric{Metric: string(s.Metric), Arms: armRows(s.Metric, s.Arms, ""), arms: s.Arms})
	}
	return out
}

func armRows(m experiment.Metric, arms []experiment.ArmResult, winner string) []ExperimentArmRow {
	rows := make([]ExperimentArmRow, len(arms))
	for i, a := range arms {
		row := ExperimentArmRow{Name: a.Name, Leads: a.Leads, Measured: a.N,
			Interval: experiment.FormatInterval(m, a.Low, a.High, a.HasInterval), Lift: experiment.FormatLift(a.Lift, a.HasLift)}
		if m.Kind() == experiment.Rate || m == experiment.RevenuePerLead {
			n := a.Events
			row.Events = &n
		}
		if a.HasValue {
			v := a.Value
			row.Value, row.Number = experiment.FormatValue(m, v), &v
		}
		if a.HasInterval {
			lo, hi := a.Low, a.High
			row.Low, row.High = &lo, &hi
		}
		switch {
		case i == 0:
			row.Standing = "control"
		case !a.Test.Valid:
			row.Standing = "untested"
		default:
			p := a.PAdjusted
			row.PValue, row.P = experiment.FormatP(p), &p
			switch {
			case a.Better:
				row.Standing = "better"
			case a.Worse:
				row.Standing = "worse"
			default:
				row.Standing = "not significant"
			}
		}
		if winner != "" && a.Name == winner {
			row.Standing = "winner"
		}
		rows[i] = row
	}
	return rows
}

// findExperiment picks the experiment named ref ("name" or "namespace/name") among objs.
func findExperiment(objs *objects, ref, namespace string) (*leadopsv1.LeadExperiment, error) {
	ns, name, qualified := strings.Cut(ref, "/")
	if !qualified {
		name, ns = ref, namespace
	}
	var found []*leadopsv1.LeadExperiment
	for _, x := range objs.Experiments {
		if x.Name == name && (ns == "" || x.Namespace == ns) {
			found = append(found, x)
		}
	}
	switch len(found) {
	case 0:
		var have []string
		for _, x := range objs.Experiments {
			have = append(have, x.Namespace+"/"+x.Name)
		}
		if len(have) == 0 {
			return nil, fmt.Errorf("no LeadExperiment %q in %s: it has none", ref, objs.From)
		}
		return nil, fmt.Errorf("no LeadExperiment %q in %s; it has %s", ref, objs.From, strings.Join(have, ", "))
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("LeadExperiment %q is in several namespaces of %s: name it NAMESPACE/NAME", ref, objs.From)
}

package experiment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"gonum.org/v1/gonum/stat"
)

// Power is the power the sample-size estimate plans for.
const Power = 0.8

// DefaultConfidence is the confidence level when the spec leaves it empty.
const DefaultConfidence = 0.95

// ParseConfidence turns the API's percent string ("95", "99.9") into a level (0.95); "" is the
// default 95%.
func ParseConfidence(s string) (float64, error) {
	if s == "" {
		return DefaultConfidence, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 80 || v >= 100 {
		return 0, fmt.Errorf("confidence %q must be a percentage from 80 to 99.9", s)
	}
	return v / 100, nil
}

// Spec is what a verdict depends on besides the data.
type Spec struct {
	Metric Metric
	// Confidence is the level of intervals and tests (0.95); the tests' α is 1 − Confidence.
	Confidence float64
	// MinLeadsPerArm is how many measured leads (ArmSample.N) each arm needs before a verdict.
	MinLeadsPerArm int64
	// End is when the experiment stops taking leads in; zero when no end is set.
	End time.Time
	// Ended forces the experiment to count as ended whatever End says.
	Ended bool
}

// Reason is the verdict, as the Concluded condition's reason.
type Reason string

// The verdicts.
const (
	ReasonInsufficientData        Reason = "InsufficientData"
	ReasonRunning                 Reason = "Running"
	ReasonWinner                  Reason = "Winner"
	ReasonNoSignificantDifference Reason = "NoSignificantDifference"
)

// ArmResult is one arm's figures for a metric.
type ArmResult struct {
	Name             string
	Leads, N, Events int64
	// Value is the arm's metric: a percentage (0–100) for rates, the mean for RevenuePerLead, the
	// lower median in seconds for TimeToFirstTouch (TeamGoal's statistic). HasValue is false when
	// the arm measured nothing.
	Value    float64
	HasValue bool
	// Low..High is Value's confidence interval, in Value's unit.
	Low, High   float64
	HasInterval bool
	// Lift is (Value − control) / control, a fraction (0.125 is +12.5%); absent for the control and
	// when the control's value is 0 or unknown.
	Lift    float64
	HasLift bool
	// Test is the test against the control, P before adjustment; PAdjusted after Holm's adjustment
	// over the arms tested. Absent for the control.
	Test      Test
	PAdjusted float64
	// Better and Worse: significantly (adjusted p < α) better or worse than the control, in the
	// metric's direction.
	Better, Worse bool
	// AUC, for TimeToFirstTouch, is P(this arm's time > the control's) + ½ P(equal).
	AUC float64

	sd float64 // standard deviation of the values, for the sample-size estimate
}

// Verdict is the outcome of Evaluate.
type Verdict struct {
	Metric Metric
	Reason Reason
	// Winner names the winning arm when Reason is Winner.
	Winner string
	// Message states the verdict with its numbers (arm names only, no lead data).
	Message string
	Arms    []ArmResult
	// Leader is the index of the best-valued non-control arm (-1 when none has a value).
	Leader int
	// Confidence is 1 − the leader's adjusted p.
	Confidence    float64
	HasConfidence bool
	// AdditionalLeadsNeeded estimates how many more measured leads per arm the leader's comparison
	// with the control needs to detect the observed difference at the declared confidence (at the
	// Bonferroni level α/(k−1), the strictest step of Holm's procedure) with 80% power, and at least
	// what the arms lack of MinLeadsPerArm. Unknown (HasAdditional false) when the arms show no
	// difference or too little data to size one.
	AdditionalLeadsNeeded int64
	HasAdditional         bool
}

// Figures computes each arm's value, interval, lift and test against the first arm (the control),
// with Holm-adjusted p-values, at level conf. It gives no verdict (secondary metrics use it alone).
func Figures(m Metric, conf float64, arms []ArmSample) []ArmResult {
	out := make([]ArmResult, len(arms))
	for i, a := range arms {
		r := ArmResult{Name: a.Name, Leads: a.Leads, N: a.N, Events: a.Events}
		switch m.Kind() {
		case Rate:
			if a.N > 0 {
				r.Value, r.HasValue = 100*float64(a.Events)/float64(a.N), true
				lo, hi, ok := Wilson(a.Events, a.N, conf)
				r.Low, r.High, r.HasInterval = 100*lo, 100*hi, ok
			}
		case Mean:
			if len(a.Values) > 0 {
				mean, lo, hi, ok := MeanInterval(a.Values, conf)
				r.Value, r.HasValue, r.Low, r.High, r.HasInterval = mean, true, lo, hi, ok
				if len(a.Values) > 1 {
					_, r.sd = stat.MeanStdDev(a.Values, nil)
				}
			}
		case Ranked:
			if len(a.Values) > 0 {
				xs := append([]float64(nil), a.Values...)
				r.Value, r.HasValue = goals.LowerMedian(xs), true
				r.Low, r.High, r.HasInterval = MedianInterval(xs, conf)
			}
		}
		out[i] = r
	}
	if len(out) == 0 {
		return out
	}
	ctl := out[0]
	var tested []int
	var ps []float64
	for i := 1; i < len(out); i++ {
		r := &out[i]
		if ctl.HasValue && r.HasValue && ctl.Value != 0 {
			r.Lift, r.HasLift = (r.Value-ctl.Value)/math.Abs(ctl.Value), true
		}
		switch m.Kind() {
		case Rate:
			r.Test = TwoProportionZ(arms[0].Events, arms[0].N, arms[i].Events, arms[i].N)
		case Mean:
			r.Test = Welch(arms[0].Values, arms[i].Values)
		case Ranked:
			r.Test, _, r.AUC = MannWhitney(arms[0].Values, arms[i].Values)
		}
		if r.Test.Valid {
			tested = append(tested, i)
			ps = append(ps, r.Test.P)
		}
	}
	alpha := 1 - conf
	for j, adj := range Holm(ps) {
		r := &out[tested[j]]
		r.PAdjusted = adj
		if adj < alpha && r.Test.Statistic != 0 {
			higher := r.Test.Statistic > 0
			if higher != m.LowerIsBetter() {
				r.Better = true
			} else {
				r.Worse = true
			}
		}
	}
	return out
}

// better reports whether value a beats b in the metric's direction.
func better(m Metric, a, b float64) bool {
	if m.LowerIsBetter() {
		return a < b
	}
	return a > b
}

// Evaluate gives the verdict on the primary metric, as of now. The rules, in order:
//
//  1. InsufficientData while any arm has fewer than MinLeadsPerArm measured leads (fewer than 2
//     counts as too few for any test), ended or not.
//  2. Running while the experiment has not ended (now before End, or no End): the current standing
//     is reported, never a winner, however significant it looks — stopping at the first
//     significant peek inflates the false-positive rate far above α.
//  3. Once ended: Winner when an arm is significantly better than the control after Holm's
//     adjustment (the best-valued such arm; those arms are not tested against each other), or the
//     control when every other arm is significantly worse; otherwise NoSignificantDifference.
func Evaluate(spec Spec, arms []ArmSample, now time.Time) Verdict {
	conf := spec.Confidence
	if conf <= 0 || conf >= 1 {
		conf = DefaultConfidence
	}
	alpha := 1 - conf
	v := Verdict{Metric: spec.Metric, Arms: Figures(spec.Metric, conf, arms), Leader: -1}
	if len(v.Arms) < 2 {
		v.Reason = ReasonInsufficientData
		v.Message = fmt.Sprintf("an experiment needs two or more arms; it has %d", len(v.Arms))
		return v
	}
	m := spec.Metric
	for i := 1; i < len(v.Arms); i++ {
		if v.Arms[i].HasValue && (v.Leader < 0 || better(m, v.Arms[i].Value, v.Arms[v.Leader].Value)) {
			v.Leader = i
		}
	}
	minimum := spec.MinLeadsPerArm
	if minimum < 2 {
		minimum = 2
	}
	var short []string
	fewest := int64(math.MaxInt64)
	for _, a := range v.Arms {
		fewest = min(fewest, a.N)
		if a.N < minimum {
			short = append(short, fmt.Sprintf("%s has %d", a.Name, a.N))
		}
	}
	ctl := v.Arms[0]
	if v.Leader >= 0 {
		l := v.Arms[v.Leader]
		if l.Test.Valid {
			v.Confidence, v.HasConfidence = 1-l.PAdjusted, true
		}
		if need, ok := sampleSize(m, ctl, l, alpha/float64(len(v.Arms)-1)); ok {
			v.AdditionalLeadsNeeded = max(0, need-min(ctl.N, l.N), minimum-fewest)
			v.HasAdditional = true
		}
	}
	if !v.HasAdditional && fewest < minimum {
		v.AdditionalLeadsNeeded, v.HasAdditional = minimum-fewest, true
	}
	ended := spec.Ended || (!spec.End.IsZero() && !now.Before(spec.End))
	standing := v.standing(conf)
	rule := fmt.Sprintf("No winner is declared before every arm has %d %s and the experiment has ended.", minimum, m.Measured())
	switch {
	case len(short) > 0:
		v.Reason = ReasonInsufficientData
		v.Message = fmt.Sprintf("Too few %s to compare: %s (minimum %d per arm). So far: %s. %s", m.Measured(), strings.Join(short, ", "), minimum, standing, rule)
	case !ended:
		v.Reason = ReasonRunning
		until := "no end is set (set end or duration to conclude)"
		if !spec.End.IsZero() {
			until = "it ends " + spec.End.UTC().Format(time.RFC3339) + " (in " + roughly(spec.End.Sub(now)) + ")"
		}
		v.Message = fmt.Sprintf("Running: %s; %s. %s", standing, until, rule)
	default:
		v.conclude(conf)
	}
	return v
}

// conclude sets Winner or NoSignificantDifference on an ended experiment with enough data.
func (v *Verdict) conclude(conf float64) {
	m := v.Metric
	win := -1
	for i := 1; i < len(v.Arms); i++ {
		a := v.Arms[i]
		if a.Better && (win < 0 || better(m, a.Value, v.Arms[win].Value)) {
			win = i
		}
	}
	allWorse := true
	for i := 1; i < len(v.Arms); i++ {
		allWorse = allWorse && v.Arms[i].Worse
	}
	if win < 0 && allWorse {
		win = 0
	}
	k := len(v.Arms) - 1
	holm := fmt.Sprintf("Holm-adjusted over %d comparison%s with the control", k, plural(k))
	if win < 0 {
		v.Reason = ReasonNoSignificantDifference
		v.Message = fmt.Sprintf("No significant difference in %s at %s confidence: %s (p %s).", noun(m), FormatPercent(conf), v.standing(conf), holm)
		if v.HasAdditional {
			v.Message += fmt.Sprintf(" About %s more %s per arm would detect a difference of the observed size with 80%% power.", thousands(v.AdditionalLeadsNeeded), m.Measured())
		}
		return
	}
	v.Reason = ReasonWinner
	v.Winner = v.Arms[win].Name
	w := v.Arms[win]
	if win == 0 {
		v.Message = fmt.Sprintf("%s (the control arm) wins on %s: every other arm is significantly worse at %s confidence (p %s): %s.", w.Name, noun(m), FormatPercent(conf), holm, v.standing(conf))
		return
	}
	v.Message = fmt.Sprintf("%s wins on %s at %s confidence: %s (%s) against %s for %s (the control arm), lift %s, adjusted p%s (%s).",
		w.Name, noun(m), FormatPercent(conf), FormatValue(m, w.Value), FormatInterval(m, w.Low, w.High, w.HasInterval),
		FormatValue(m, v.Arms[0].Value), v.Arms[0].Name, FormatLift(w.Lift, w.HasLift), pEquals(w.PAdjusted), holm)
}

// standing describes every arm's value and, for the others, the lift and adjusted p against the control.
func (v *Verdict) standing(conf float64) string {
	m := v.Metric
	parts := make([]string, 0, len(v.Arms))
	for i, a := range v.Arms {
		if !a.HasValue {
			parts = append(parts, fmt.Sprintf("%s no data", a.Name))
			continue
		}
		s := fmt.Sprintf("%s %s", a.Name, FormatValue(m, a.Value))
		if i == 0 {
			s += " (control)"
		} else if a.Test.Valid {
			sig := "not significant"
			if a.Better || a.Worse {
				sig = "significant at " + FormatPercent(conf)
			}
			s += fmt.Sprintf(" (%s, adjusted p%s, %s)", FormatLift(a.Lift, a.HasLift), pEquals(a.PAdjusted), sig)
		}
		parts = append(parts, s)
	}
	return noun(m) + " " + strings.Join(parts, ", ")
}

// roughly formats a positive duration in days and hours ("6 days 17 hours"), or hours and minutes
// under two days ("3h20m").
func roughly(d time.Duration) string {
	if d < 48*time.Hour {
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	s := fmt.Sprintf("%d days", days)
	if hours > 0 {
		s += fmt.Sprintf(" %d hour%s", hours, plural(hours))
	}
	return s
}

// pEquals is "=0.031" or "<0.0001", to follow a "p".
func pEquals(p float64) string {
	s := FormatP(p)
	if strings.HasPrefix(s, "<") {
		return s
	}
	return "=" + s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// noun is how messages name the metric.
func noun(m Metric) string {
	switch m {
	case AcceptanceRate:
		return "acceptance rate"
	case ConversionRate:
		return "conversion rate"
	case RevenuePerLead:
		return "revenue per lead"
	case TimeToFirstTouch:
		return "median time to first touch"
	case SLACompliance:
		return "SLA compliance"
	}
	return string(m)
}

// sampleSize is the measured leads per arm needed for the comparison of arm with ctl at level alpha
// and 80% power, rounded up; ok is false when it cannot be sized (no difference, too little data).
func sampleSize(m Metric, ctl, arm ArmResult, alpha float64) (int64, bool) {
	if !ctl.HasValue || !arm.HasValue {
		return 0, false
	}
	var n float64
	switch m.Kind() {
	case Rate:
		n = SampleSizeProportions(ctl.Value/100, arm.Value/100, alpha, Power)
	case Mean:
		if ctl.N < 2 || arm.N < 2 {
			return 0, false
		}
		n = SampleSizeMeans(arm.Value-ctl.Value, ctl.sd, arm.sd, alpha, Power)
	case Ranked:
		if !arm.Test.Valid {
			return 0, false
		}
		n = SampleSizeRanks(arm.AUC, alpha, Power)
	}
	if math.IsInf(n, 0) || math.IsNaN(n) || n > 1e12 {
		return 0, false
	}
	return int64(math.Ceil(n)), true
}

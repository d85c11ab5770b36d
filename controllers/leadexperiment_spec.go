package controllers

import (
	"fmt"
	"strings"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/router"
)

// Experiment phases (status.phase).
const (
	phasePending = "Pending"
	phaseRunning = "Running"
	phaseEnded   = "Ended"
)

// resolvedExperiment is a LeadExperiment checked against what only leadops can check (its policies
// exist and share one selector, its filters compile, its weights and period make sense) and with
// its window and timezone worked out. The reconciler and the router build on the same resolution.
type resolvedExperiment struct {
	Key        string
	Arms       []resolvedArm
	Strategy   string
	Start, End time.Time // End zero: no end
	Period     time.Duration
	Location   *time.Location
	// Observational is true for filter arms: the router leaves such an experiment alone.
	Observational bool
}

type resolvedArm struct {
	Name   string
	Policy string // LeadPolicy name (policy arms)
	Weight int32
	Filter *celenv.Program // observational arms; nil matches every lead
}

// experimentWorld is what resolving an experiment reads besides the experiment: the LeadPolicies
// and Teams of its namespace, by name.
type experimentWorld struct {
	Policies map[string]*leadopsv1.LeadPolicy
	Teams    map[string]*leadopsv1.Team
}

// experimentWindow is the experiment's window: start defaults to its creation, end is spec.end, or
// start + duration, or none.
func experimentWindow(x *leadopsv1.LeadExperiment) (start, end time.Time, err *policy.SpecError) {
	start = x.CreationTimestamp.Time
	if x.Spec.Start != nil {
		start = x.Spec.Start.Time
	}
	switch {
	case x.Spec.End != nil:
		end = x.Spec.End.Time
		if !end.After(start) {
			return start, end, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.end", "must be after the start (%s)", start.UTC().Format(time.RFC3339))
		}
	case x.Spec.Duration != "":
		d, perr := time.ParseDuration(string(x.Spec.Duration))
		if perr != nil || d <= 0 {
			return start, end, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.duration", "%q is not a positive duration", x.Spec.Duration)
		}
		end = start.Add(d)
	}
	return start.UTC(), end.UTC(), nil
}

// phaseAt is Pending before the start, Running in [start, end), Ended from end on.
func (e *resolvedExperiment) phaseAt(now time.Time) string {
	switch {
	case now.Before(e.Start):
		return phasePending
	case !e.End.IsZero() && !now.Before(e.End):
		return phaseEnded
	}
	return phaseRunning
}

// armNames are the arms' names in spec order (the first is the control).
func (e *resolvedExperiment) armNames() []string {
	out := make([]string, len(e.Arms))
	for i, a := range e.Arms {
		out[i] = a.Name
	}
	return out
}

// policyNames are the names of the policy arms' LeadPolicies.
func (e *resolvedExperiment) policyNames() []string {
	var out []string
	for _, a := range e.Arms {
		if a.Policy != "" {
			out = append(out, a.Policy)
		}
	}
	return out
}

// resolveExperiment checks x against w and works out its window and timezone. Overlaps with other
// experiments are checked apart (overlapping), since they depend on the other experiments.
func resolveExperiment(x *leadopsv1.LeadExperiment, w experimentWorld) (*resolvedExperiment, *policy.SpecError) {
	e := &resolvedExperiment{Key: x.Namespace + "/" + x.Name, Strategy: string(x.Spec.Assignment.Strategy), Location: time.UTC}
	if e.Strategy == "" {
		e.Strategy = router.Split
	}
	var err *policy.SpecError
	if e.Start, e.End, err = experimentWindow(x); err != nil {
		return nil, err
	}
	if len(x.Spec.Arms) < 2 {
		return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.arms", "an experiment needs two or more arms, it has %d", len(x.Spec.Arms))
	}
	if _, cerr := experiment.ParseConfidence(x.Spec.Confidence); cerr != nil {
		return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.confidence", "%v", cerr)
	}
	if m := experiment.Metric(x.Spec.Metric); !m.Valid() {
		return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.metric", "unknown metric %q", x.Spec.Metric)
	}
	e.Observational = x.Spec.Arms[0].PolicyRef == nil
	var scope *string
	positive := false
	for i, a := range x.Spec.Arms {
		path := fmt.Sprintf("spec.arms[%d]", i)
		ra := resolvedArm{Name: a.Name, Weight: 1}
		if a.Weight != nil {
			ra.Weight = *a.Weight
		}
		positive = positive || ra.Weight > 0
		switch {
		case a.PolicyRef != nil && !e.Observational:
			p := w.Policies[a.PolicyRef.Name]
			if p == nil {
				return nil, policy.FieldSpecError(leadopsv1.ReasonPolicyNotFound, path+".policyRef", "LeadPolicy %q does not exist in namespace %s", a.PolicyRef.Name, x.Namespace)
			}
			if _, perr := policy.Compile(p); perr != nil {
				return nil, policy.FieldSpecError(leadopsv1.ReasonPolicyNotFound, path+".policyRef", "LeadPolicy %q is not valid (%s)", p.Name, perr.Error())
			}
			sel := strings.Join(strings.Fields(string(p.Spec.Selector)), " ")
			if scope == nil {
				scope = &sel
			} else if sel != *scope {
				return nil, policy.FieldSpecError(leadopsv1.ReasonScopeMismatch, path+".policyRef",
					"LeadPolicy %q selects %q but the first arm's policy selects %q: the arms' policies must have the same selector, so the experiment, not their priority, decides which governs a lead", p.Name, sel, *scope)
			}
			ra.Policy = p.Name
		case a.PolicyRef == nil && e.Observational:
			prg, perr := policy.CompileExpression(path+".filter", a.Filter)
			if perr != nil {
				return nil, perr
			}
			ra.Filter = prg
		default:
			return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, path, "arms must be all policy arms or all observational arms")
		}
		e.Arms = append(e.Arms, ra)
	}
	if e.Observational {
		return e, nil
	}
	if e.Strategy == router.Split && !positive {
		return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidWeights, "spec.arms", "the arms' weights sum to zero: no arm could take a lead")
	}
	if e.Strategy == router.Alternate {
		d, perr := time.ParseDuration(string(x.Spec.Assignment.Period))
		if perr != nil {
			return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.assignment.period", "%q is not a duration", x.Spec.Assignment.Period)
		}
		if verr := experiment.ValidatePeriod(d); verr != nil {
			return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidSpec, "spec.assignment.period", "%v", verr)
		}
		e.Period = d
	}
	tz, tzPath := x.Spec.Assignment.Timezone, "spec.assignment.timezone"
	if tz == "" {
		tz, tzPath = firstArmTimezone(x, w), "spec.arms[0].policyRef"
	}
	if tz != "" {
		loc, lerr := time.LoadLocation(tz)
		if lerr != nil {
			return nil, policy.FieldSpecError(leadopsv1.ReasonInvalidTimezone, tzPath, "unknown timezone %q", tz)
		}
		e.Location = loc
	}
	return e, nil
}

// firstArmTimezone is the timezone of the team the first policy arm's first rule routes to, "" when
// there is none.
func firstArmTimezone(x *leadopsv1.LeadExperiment, w experimentWorld) string {
	ref := x.Spec.Arms[0].PolicyRef
	if ref == nil {
		return ""
	}
	p := w.Policies[ref.Name]
	if p == nil {
		return ""
	}
	for _, r := range p.Spec.Rules {
		if t := w.Teams[r.TeamRef.Name]; t != nil && t.Spec.Timezone != "" {
			return t.Spec.Timezone
		}
	}
	return ""
}

// overlapping returns the older valid experiment of others that shares a LeadPolicy with e over an
// overlapping window (nil when none): of two such experiments the newer one is refused, so a lead
// is never claimed by two experiments at once. An older experiment that is itself invalid blocks
// nothing.
func overlapping(x *leadopsv1.LeadExperiment, e *resolvedExperiment, others []leadopsv1.LeadExperiment, w experimentWorld) *leadopsv1.LeadExperiment {
	if e.Observational {
		return nil
	}
	mine := map[string]bool{}
	for _, p := range e.policyNames() {
		mine[p] = true
	}
	for i := range others {
		o := &others[i]
		if o.Namespace != x.Namespace || o.Name == x.Name || !older(o, x) {
			continue
		}
		shared := false
		for _, a := range o.Spec.Arms {
			if a.PolicyRef != nil && mine[a.PolicyRef.Name] {
				shared = true
			}
		}
		if !shared {
			continue
		}
		oe, err := resolveExperiment(o, w)
		if err != nil {
			continue
		}
		if (e.End.IsZero() || oe.Start.Before(e.End)) && (oe.End.IsZero() || e.Start.Before(oe.End)) {
			return o
		}
	}
	return nil
}

// older orders experiments by creation, then name.
func older(a, b *leadopsv1.LeadExperiment) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// routerExperiment is the router's view of a running policy-arm experiment, over the compiled
// policies by key (nil when an arm's policy is not among them).
func (e *resolvedExperiment) routerExperiment(namespace, name string, policies map[string]*router.Policy) *router.Experiment {
	if e.Observational {
		return nil
	}
	x := &router.Experiment{Namespace: namespace, Name: name, Strategy: e.Strategy, Start: e.Start, End: e.End,
		Period: e.Period, Location: e.Location}
	for _, a := range e.Arms {
		p := policies[namespace+"/"+a.Policy]
		if p == nil {
			return nil
		}
		x.Arms = append(x.Arms, router.ExperimentArm{Name: a.Name, Policy: p, Weight: a.Weight})
	}
	return x
}

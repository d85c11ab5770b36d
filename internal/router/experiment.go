package router

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// Assignment strategies of an Experiment (LeadExperiment spec.assignment.strategy).
const (
	Split     = "Split"
	Alternate = "Alternate"
)

// Experiment is one valid LeadExperiment over policy arms. While it runs (Start ≤ now < End), a lead
// its arms' policies select (they share one selector: the scope) is assigned an arm before policy
// selection, and that arm's policy governs it whatever the policies' priorities. A lead keeps the
// arm it was first decided under for as long as the experiment is in the Input, running or not;
// the controller passes the running experiments only, so after the end routing returns to normal
// policy selection (the lead's recorded arm stays: the store never changes it).
type Experiment struct {
	Namespace, Name string
	// Arms in spec order; each arm's Policy should be in Input.Policies too.
	Arms []ExperimentArm
	// Strategy is Split (the default) or Alternate.
	Strategy string
	// Start and End bound the window in which leads are assigned; a zero End never ends.
	Start, End time.Time
	// Period and Location drive Alternate (experiment.AlternateArm).
	Period   time.Duration
	Location *time.Location
}

// ExperimentArm is one policy arm.
type ExperimentArm struct {
	Name   string
	Policy *Policy
	// Weight is the arm's share under Split (experiment.SplitArm; zero or less is never chosen).
	Weight int32
}

// Key is the experiment's namespace/name, the value stored on its leads.
func (x *Experiment) Key() string { return x.Namespace + "/" + x.Name }

// Running reports whether the experiment assigns leads at now.
func (x *Experiment) Running(now time.Time) bool {
	return !now.Before(x.Start) && (x.End.IsZero() || now.Before(x.End))
}

// usable reports whether every arm has a policy: an experiment without is ignored.
func (x *Experiment) usable() bool {
	if len(x.Arms) == 0 {
		return false
	}
	for _, a := range x.Arms {
		if a.Policy == nil || a.Policy.Policy == nil {
			return false
		}
	}
	return true
}

// ArmAt is the index of the arm a new lead in scope is assigned to at now, -1 for none (no positive
// weight).
func (x *Experiment) ArmAt(leadID string, now time.Time) int {
	if x.Strategy == Alternate {
		return experiment.AlternateArm(now, x.Start, x.Period, x.Location, len(x.Arms))
	}
	w := make([]int32, len(x.Arms))
	for i, a := range x.Arms {
		w[i] = a.Weight
	}
	return experiment.SplitArm(leadID, x.Key(), w)
}

// arm is the experiment and arm that govern a lead; zero for none.
type arm struct {
	experiment, name string
	policy           *Policy
}

func (a arm) none() bool { return a.experiment == "" }

// experiments returns the usable experiments by key, for a stable choice when two claim a lead.
func (in *Input) experiments() []*Experiment {
	var out []*Experiment
	for _, x := range in.Experiments {
		if x != nil && x.usable() {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// experimentFingerprint is what a pending lead's arm depends on besides the lead: each experiment's
// arms and policy generations, whether it runs at now, and the arm Alternate runs at now. A lead's
// memoized match stays valid while it does.
func experimentFingerprint(xs []*Experiment, now time.Time) string {
	if len(xs) == 0 {
		return ""
	}
	var b strings.Builder
	for _, x := range xs {
		b.WriteString("|x:" + x.Key() + ":" + x.Strategy)
		for _, a := range x.Arms {
			b.WriteString("," + a.Name + "=" + a.Policy.Key() + "@" + strconv.FormatInt(a.Policy.Generation, 10) + "*" + strconv.Itoa(int(a.Weight)))
		}
		if x.Running(now) {
			b.WriteString(";running")
			if x.Strategy == Alternate {
				b.WriteString(";arm=" + strconv.Itoa(x.ArmAt("", now)))
			}
		}
	}
	return b.String()
}

// assignArm finds the experiment arm that governs l at now: the arm l already has when its
// experiment is among xs, else the arm of the first running experiment whose scope selects l. A
// scope that fails to evaluate on l claims nothing: normal selection reports the selector's error.
func assignArm(xs []*Experiment, l *lead.Lead, cl *celenv.Lead, now time.Time) arm {
	if l.Experiment != "" {
		for _, x := range xs {
			if x.Key() != l.Experiment {
				continue
			}
			for _, a := range x.Arms {
				if a.Name == l.Arm {
					return arm{experiment: x.Key(), name: a.Name, policy: a.Policy}
				}
			}
		}
		return arm{} // its experiment ended (or lost the arm): normal selection, the record stays
	}
	for _, x := range xs {
		if !x.Running(now) {
			continue
		}
		scope := x.Arms[0].Policy.Selector
		if scope != nil {
			ok, err := scope.Eval(cl)
			if err != nil || !ok {
				continue
			}
		}
		i := x.ArmAt(l.ID, now)
		if i < 0 || i >= len(x.Arms) {
			continue
		}
		return arm{experiment: x.Key(), name: x.Arms[i].Name, policy: x.Arms[i].Policy}
	}
	return arm{}
}

// matchLead is routing.MatchLead under experiments: a lead an experiment arm governs is matched
// against that arm's policy alone.
func matchLead(xs []*Experiment, rps []*routing.Policy, l *lead.Lead, now time.Time) (*routing.Match, arm) {
	cl := celenv.FromLead(l)
	if a := assignArm(xs, l, cl, now); !a.none() {
		return routing.MatchLead([]*routing.Policy{a.policy.Policy}, cl), a
	}
	return routing.MatchLead(rps, cl), arm{}
}

// tagArm records the arm on the decision: on the lead when it has none yet (the store keeps the
// first one), and in every audit entry of the decision.
func tagArm(ch *store.Decision, l *lead.Lead, a arm) {
	if a.none() || ch.Lead == nil {
		return
	}
	if l.Experiment == "" {
		ch.Lead.Experiment, ch.Lead.Arm = a.experiment, a.name
	}
	for i := range ch.Events {
		if ch.Events[i].Data == nil {
			ch.Events[i].Data = map[string]any{}
		}
		ch.Events[i].Data["experiment"], ch.Events[i].Data["arm"] = a.experiment, a.name
	}
}

// withArmPolicies adds the experiments' arm policies to a snapshot's policies by key, so an arm
// policy missing from Input.Policies still schedules its SLA.
func withArmPolicies(m map[string]*Policy, xs []*Experiment) map[string]*Policy {
	for _, x := range xs {
		for _, a := range x.Arms {
			if _, ok := m[a.Policy.Key()]; !ok {
				m[a.Policy.Key()] = a.Policy
			}
		}
	}
	return m
}

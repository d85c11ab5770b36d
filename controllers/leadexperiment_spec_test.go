package controllers

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/router"
)

func specPolicy(name, selector string, team string) *leadopsv1.LeadPolicy {
	p := &leadopsv1.LeadPolicy{}
	p.Namespace, p.Name = "ns", name
	p.Spec.Selector = leadopsv1.Expression(selector)
	p.Spec.Rules = []leadopsv1.RoutingRule{{Name: "all", TeamRef: leadopsv1.TeamReference{Name: team}}}
	return p
}

func specExperiment(name string, created time.Time, mutate ...func(*leadopsv1.LeadExperiment)) *leadopsv1.LeadExperiment {
	x := &leadopsv1.LeadExperiment{}
	x.Namespace, x.Name, x.CreationTimestamp = "ns", name, metav1.NewTime(created)
	x.Spec.Metric = leadopsv1.ExperimentAcceptanceRate
	x.Spec.Arms = []leadopsv1.ExperimentArm{
		{Name: "control", PolicyRef: &leadopsv1.PolicyReference{Name: "sdr-first"}},
		{Name: "b", PolicyRef: &leadopsv1.PolicyReference{Name: "ae-direct"}},
	}
	for _, m := range mutate {
		m(x)
	}
	return x
}

// TestResolveExperiment checks what only leadops can check of a LeadExperiment, reason by reason,
// and the window and timezone it works out.
func TestResolveExperiment(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 5, 0, 0, 0, time.UTC)
	sales := &leadopsv1.Team{}
	sales.Name, sales.Spec.Timezone = "sales", "America/New_York"
	sdr := &leadopsv1.Team{}
	sdr.Name, sdr.Spec.Timezone = "sdr", "Europe/Berlin"
	w := experimentWorld{
		Policies: map[string]*leadopsv1.LeadPolicy{
			"sdr-first": specPolicy("sdr-first", "lead.campaign == 'spring'", "sdr"),
			"ae-direct": specPolicy("ae-direct", "lead.campaign  ==  'spring'", "sales"),
			"autumn":    specPolicy("autumn", "lead.campaign == 'autumn'", "sales"),
			"broken":    specPolicy("broken", "lead.campain == 'x'", "sales"),
		},
		Teams: map[string]*leadopsv1.Team{"sales": sales, "sdr": sdr},
	}
	cases := []struct {
		name   string
		mutate func(*leadopsv1.LeadExperiment)
		reason string // "" for valid
		msg    string
		check  func(t *testing.T, e *resolvedExperiment)
	}{
		{name: "valid split: start defaults to creation, end from duration, weights default to 1",
			mutate: func(x *leadopsv1.LeadExperiment) { x.Spec.Duration = "336h" },
			check: func(t *testing.T, e *resolvedExperiment) {
				if !e.Start.Equal(t0) || !e.End.Equal(t0.Add(336*time.Hour)) || e.Strategy != router.Split || e.Arms[1].Weight != 1 || e.Arms[1].Policy != "ae-direct" {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "alternate: the first arm's team's timezone by default",
			mutate: func(x *leadopsv1.LeadExperiment) {
				x.Spec.Assignment = leadopsv1.ExperimentAssignment{Strategy: leadopsv1.AssignmentAlternate, Period: "168h"}
			},
			check: func(t *testing.T, e *resolvedExperiment) {
				if e.Period != 168*time.Hour || e.Location.String() != "Europe/Berlin" || !e.End.IsZero() {
					t.Fatalf("period %s location %s end %v", e.Period, e.Location, e.End)
				}
			}},
		{name: "missing policy", mutate: func(x *leadopsv1.LeadExperiment) { x.Spec.Arms[1].PolicyRef.Name = "nope" },
			reason: leadopsv1.ReasonPolicyNotFound, msg: `spec.arms[1].policyRef: LeadPolicy "nope" does not exist in namespace ns`},
		{name: "invalid policy", mutate: func(x *leadopsv1.LeadExperiment) { x.Spec.Arms[1].PolicyRef.Name = "broken" },
			reason: leadopsv1.ReasonPolicyNotFound, msg: `LeadPolicy "broken" is not valid`},
		{name: "different selectors", mutate: func(x *leadopsv1.LeadExperiment) { x.Spec.Arms[1].PolicyRef.Name = "autumn" },
			reason: leadopsv1.ReasonScopeMismatch, msg: "must have the same selector"},
		{name: "weights sum to zero", mutate: func(x *leadopsv1.LeadExperiment) {
			x.Spec.Arms[0].Weight, x.Spec.Arms[1].Weight = ptr.To[int32](0), ptr.To[int32](0)
		}, reason: leadopsv1.ReasonInvalidWeights, msg: "sum to zero"},
		{name: "a zero weight beside a positive one is fine", mutate: func(x *leadopsv1.LeadExperiment) { x.Spec.Arms[0].Weight = ptr.To[int32](0) }},
		{name: "period not in whole hours", mutate: func(x *leadopsv1.LeadExperiment) {
			x.Spec.Assignment = leadopsv1.ExperimentAssignment{Strategy: leadopsv1.AssignmentAlternate, Period: "90m"}
		}, reason: leadopsv1.ReasonInvalidSpec, msg: "spec.assignment.period"},
		{name: "unknown timezone", mutate: func(x *leadopsv1.LeadExperiment) {
			x.Spec.Assignment = leadopsv1.ExperimentAssignment{Strategy: leadopsv1.AssignmentAlternate, Period: "24h", Timezone: "Mars/Olympus"}
		}, reason: leadopsv1.ReasonInvalidTimezone, msg: "spec.assignment.timezone"},
		{name: "end before start", mutate: func(x *leadopsv1.LeadExperiment) { x.Spec.End = &metav1.Time{Time: t0.Add(-time.Hour)} },
			reason: leadopsv1.ReasonInvalidSpec, msg: "spec.end: must be after the start"},
		{name: "invalid filter", mutate: func(x *leadopsv1.LeadExperiment) {
			x.Spec.Arms = []leadopsv1.ExperimentArm{{Name: "a", Filter: "lead.campain == 'a'"}, {Name: "b", Filter: "lead.campaign == 'b'"}}
		}, reason: leadopsv1.ReasonInvalidExpression, msg: "spec.arms[0].filter"},
		{name: "observational", mutate: func(x *leadopsv1.LeadExperiment) {
			x.Spec.Arms = []leadopsv1.ExperimentArm{{Name: "a", Filter: "lead.campaign == 'a'"}, {Name: "b", Filter: "lead.campaign == 'b'"}}
		}, check: func(t *testing.T, e *resolvedExperiment) {
			if !e.Observational || e.Arms[0].Filter == nil || e.routerExperiment("ns", "x", nil) != nil {
				t.Fatalf("%+v", e)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mut []func(*leadopsv1.LeadExperiment)
			if tc.mutate != nil {
				mut = append(mut, tc.mutate)
			}
			e, err := resolveExperiment(specExperiment("x", t0, mut...), w)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tc.check != nil {
					tc.check(t, e)
				}
				return
			}
			if err == nil || err.Reason != tc.reason || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (reason %v), want reason %s with %q", err, func() string {
					if err == nil {
						return ""
					}
					return err.Reason
				}(), tc.reason, tc.msg)
			}
		})
	}
}

// TestOverlapping: of two valid experiments over a shared policy with overlapping windows the newer
// is refused; disjoint windows, other policies and invalid older ones do not block.
func TestOverlapping(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	w := experimentWorld{Policies: map[string]*leadopsv1.LeadPolicy{
		"sdr-first": specPolicy("sdr-first", "", "sdr"), "ae-direct": specPolicy("ae-direct", "", "sales"),
		"p3": specPolicy("p3", "", "sales"), "p4": specPolicy("p4", "", "sales"),
	}}
	weeks := func(from, to int) func(*leadopsv1.LeadExperiment) {
		return func(x *leadopsv1.LeadExperiment) {
			x.Spec.Start, x.Spec.End = &metav1.Time{Time: t0.Add(time.Duration(from) * 168 * time.Hour)}, &metav1.Time{Time: t0.Add(time.Duration(to) * 168 * time.Hour)}
		}
	}
	old := specExperiment("old", t0.Add(-time.Hour), weeks(0, 2))
	cases := []struct {
		name  string
		other *leadopsv1.LeadExperiment
		x     *leadopsv1.LeadExperiment
		want  string
	}{
		{"same policies, overlapping windows: the newer is refused", old, specExperiment("new", t0, weeks(1, 3)), "old"},
		{"the older one is not refused", specExperiment("new", t0, weeks(1, 3)), old, ""},
		{"same creation second: name order", specExperiment("a", t0, weeks(1, 3)), specExperiment("b", t0, weeks(1, 3)), "a"},
		{"disjoint windows", old, specExperiment("new", t0, weeks(2, 4)), ""},
		{"open-ended older one", specExperiment("old", t0.Add(-time.Hour)), specExperiment("new", t0, weeks(10, 11)), "old"},
		{"other policies", old, specExperiment("new", t0, weeks(0, 2), func(x *leadopsv1.LeadExperiment) {
			x.Spec.Arms[0].PolicyRef.Name, x.Spec.Arms[1].PolicyRef.Name = "p3", "p4"
		}), ""},
		{"an invalid older one blocks nothing", specExperiment("old", t0.Add(-time.Hour), weeks(0, 2), func(x *leadopsv1.LeadExperiment) {
			x.Spec.Arms[1].PolicyRef.Name = "missing"
		}), specExperiment("new", t0, weeks(1, 3)), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := resolveExperiment(tc.x, w)
			if err != nil {
				t.Fatal(err)
			}
			got := overlapping(tc.x, e, []leadopsv1.LeadExperiment{*tc.other, *tc.x}, w)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tc.want {
				t.Fatalf("overlapping = %q, want %q", name, tc.want)
			}
		})
	}
}

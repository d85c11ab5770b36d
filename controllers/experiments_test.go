package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/experiment"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// experimentYAML is a LeadExperiment named name over arms (YAML list items), with extra spec lines.
func experimentYAML(name, arms, extra string) string {
	return fmt.Sprintf(`apiVersion: leadops.io/v1alpha1
kind: LeadExperiment
metadata:
  name: %s
spec:
  metric: AcceptanceRate
  minLeadsPerArm: 20
  arms:
%s
%s`, name, arms, extra)
}

const policyArms = `    - {name: control, policyRef: {name: spring-sdr-first}}
    - {name: b, policyRef: {name: spring-ae-direct}}`

func window(start, end time.Time) string {
	return fmt.Sprintf("  start: %q\n  end: %q\n", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
}

func (e *testEnv) experiment(name string) *leadopsv1.LeadExperiment {
	x := &leadopsv1.LeadExperiment{}
	x.Namespace, x.Name = e.ns, name
	return x
}

// TestExperimentSplitRoutesByArm: under a Split experiment over the two sample campaign policies,
// every campaign lead is routed by the policy of the arm its id hashes to (recorded on the lead and
// in its routed audit entry), both arms take leads, and after a restart of the manager on the same
// store the arms stay and new leads follow the same hash.
func TestExperimentSplitRoutesByArm(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_sdr", "team_sales", "experiment_policy")
			mustCreate(t, e.ns, experimentYAML("split", policyArms, window(testNow.Add(-time.Hour), testNow.Add(14*24*time.Hour))))
			x := e.experiment("split")
			eventuallyCondition(t, x, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			// The router takes the experiments its cache shows Ready: the first lead must not beat it.
			e.eventuallyCached(x, "Ready", func() bool {
				c := meta.FindStatusCondition(x.Status.Conditions, leadopsv1.ConditionReady)
				return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == x.Generation
			})
			key := e.ns + "/split"
			c := e.apiClient()
			// A routing pass already under way keeps the input it started with: wait for a lead that
			// a pass knowing the experiment routed before measuring (a canary routed by an earlier
			// pass is not an error: the experiment takes effect from the next pass).
			for k := 0; ; k++ {
				canary := createLead(t, c, store.LeadInput{ExternalID: fmt.Sprintf("canary-%d", k), Domain: fmt.Sprintf("canary%d.com", k), Score: 80, Source: "web", Campaign: "spring-threshold"})
				if got := e.eventuallyLead(canary.ID, "routed", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted }); got.Experiment == key {
					break
				}
				if k == 20 {
					t.Fatal("20 leads routed without the running experiment")
				}
			}
			ownerPrefix := map[string]string{"control": "sdr-", "b": "ae-"}
			policyOf := map[string]string{"control": e.ns + "/spring-sdr-first", "b": e.ns + "/spring-ae-direct"}
			check := func(from, to int) map[string]string {
				arms := map[string]string{}
				per := map[string]int{}
				for i := from; i < to; i++ {
					l := createLead(t, c, store.LeadInput{ExternalID: fmt.Sprintf("x-%d", i), Domain: fmt.Sprintf("split%d.com", i), Score: 80, Source: "web", Campaign: "spring-threshold"})
					got := e.eventuallyLead(l.ID, "routed under an arm", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted })
					want := []string{"control", "b"}[experiment.SplitArm(l.ID, key, []int32{1, 1})]
					if got.Experiment != key || got.Arm != want || got.Policy != policyOf[want] || !strings.HasPrefix(got.Owner, ownerPrefix[want]) {
						t.Fatalf("lead %d: experiment %q arm %q policy %q owner %q; want %s arm %s by %s", i, got.Experiment, got.Arm, got.Policy, got.Owner, key, want, policyOf[want])
					}
					routed := e.audit(l.ID, "routed")
					if len(routed) != 1 || routed[0].Data["experiment"] != key || routed[0].Data["arm"] != want {
						t.Fatalf("lead %d: routed audit %+v; want experiment and arm in its data", i, routed)
					}
					arms[l.ID] = got.Arm
					per[got.Arm]++
				}
				if per["control"] == 0 || per["b"] == 0 {
					t.Fatalf("leads per arm %v: want both arms used", per)
				}
				return arms
			}
			before := check(0, 24)

			// A restart on the same store: the leads keep their arms, new ones follow the same hash.
			e.stop()
			st := reopen(t, backend, e.dsn, e.clk)
			e.store = st
			e.stop = startManager(t, e.ns, st, e.clk)
			for id, arm := range before {
				l, err := st.GetLead(context.Background(), id)
				if err != nil || l.Arm != arm || l.Experiment != key {
					t.Fatalf("after the restart lead %s: arm %q (%v), want %q", id, l.Arm, err, arm)
				}
			}
			check(24, 36)

			// A lead outside the scope is governed by no experiment.
			other := createLead(t, c, store.LeadInput{ExternalID: "other", Domain: "other.com", Score: 80, Source: "web", Campaign: "autumn"})
			time.Sleep(500 * time.Millisecond)
			if l, err := st.GetLead(context.Background(), other.ID); err != nil || l.Experiment != "" || l.Arm != "" {
				t.Fatalf("a lead outside the scope: experiment %q arm %q (%v)", l.Experiment, l.Arm, err)
			}
		})
	}
}

// seedArmLead stores a lead routed at `at` under experiment key and arm, accepted when accepted.
func (e *testEnv) seedArmLead(id, key, arm string, at time.Time, accepted bool) {
	e.t.Helper()
	ctx := context.Background()
	l, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: id, Domain: id + ".com", Score: 70}, "seed")
	if err != nil {
		e.t.Fatal(err)
	}
	next := *l
	next.Stage, next.QualifiedAt, next.RoutedAt, next.Owner, next.Team = lead.StageRouted, &at, &at, "ae-01", e.ns+"/sales"
	next.Experiment, next.Arm = key, arm
	if _, conflicts, err := e.store.CommitDecisions(ctx, []store.Decision{{Lead: &next, Via: []lead.Stage{lead.StageQualified},
		Events: []store.AuditEvent{{Actor: "seed", Type: "routed"}}}}); err != nil || len(conflicts) > 0 {
		e.t.Fatalf("seeding %s: %v %v", id, err, conflicts)
	}
	if !accepted {
		return
	}
	for _, k := range []lead.ActivityKind{store.ActivityTouch, store.ActivityAccept} {
		if _, err := e.store.Apply(ctx, l.ID, store.Activity{Kind: k, Actor: "seed", At: at}); err != nil {
			e.t.Fatalf("seeding %s: %s: %v", id, k, err)
		}
	}
}

// TestExperimentVerdict: over a seeded store, an experiment whose arm b is accepted clearly more
// often names b the winner once it has ended (Running before, whatever the numbers), with one
// Event; equal arms give NoSignificantDifference.
func TestExperimentVerdict(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			start := testNow.Add(-48 * time.Hour)
			end := testNow.Add(24 * time.Hour)
			e := startEnv(t, backend, start)
			e.applySamples("experiment_policy")
			// 60 leads per arm. "winner": control accepts 15 (25%), b 42 (70%). "equal", which ran
			// earlier over the same policies: both accept 27 (45%).
			for i := range 60 {
				at := start.Add(time.Duration(i) * time.Minute)
				e.seedArmLead(fmt.Sprintf("w-c-%d", i), e.ns+"/winner", "control", at, i < 15)
				e.seedArmLead(fmt.Sprintf("w-b-%d", i), e.ns+"/winner", "b", at, i < 42)
				e.seedArmLead(fmt.Sprintf("e-c-%d", i), e.ns+"/equal", "control", at, i < 27)
				e.seedArmLead(fmt.Sprintf("e-b-%d", i), e.ns+"/equal", "b", at, i%2 == 0 && i < 54)
			}
			e.clock.Set(testNow)
			mustCreate(t, e.ns, experimentYAML("winner", policyArms, window(start, end)))
			mustCreate(t, e.ns, experimentYAML("equal", policyArms, window(start.Add(-10*24*time.Hour), start.Add(-time.Hour))))
			x := e.experiment("winner")
			eventuallyCondition(t, x, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			cond := eventuallyCondition(t, x, leadopsv1.ConditionConcluded, "False", leadopsv1.ReasonRunning)
			if x.Status.Winner != "" || x.Status.Phase != "Running" || x.Status.Summary != "control=60 b=60" ||
				x.Status.MetricSummary != "25.0% / 70.0%" || !strings.Contains(cond.Message, "No winner is declared before") {
				t.Fatalf("while running: %+v (%s)", x.Status, cond.Message)
			}
			eq := e.experiment("equal")
			cond = eventuallyCondition(t, eq, leadopsv1.ConditionConcluded, "True", leadopsv1.ReasonNoSignificantDifference)
			if eq.Status.Winner != "" || eq.Status.MetricSummary != "45.0% / 45.0%" || eq.Status.Phase != "Ended" {
				t.Fatalf("equal arms: %+v (%s)", eq.Status, cond.Message)
			}

			// Past the end: the winner is b, announced once.
			e.clock.Set(end.Add(time.Minute))
			cond = eventuallyCondition(t, x, leadopsv1.ConditionConcluded, "True", leadopsv1.ReasonWinner)
			if x.Status.Winner != "b" || x.Status.Phase != "Ended" || x.Status.Lift != "+180.0%" || x.Status.Confidence == "" ||
				len(x.Status.Arms) != 2 || x.Status.Arms[1].Events != 42 || x.Status.Arms[1].PValue == "" || !strings.Contains(cond.Message, "b wins") {
				t.Fatalf("after the end: %+v (%s)", x.Status, cond.Message)
			}
			e.clock.Set(end.Add(2 * time.Minute)) // another evaluation: still one Event
			e.eventually(x, "evaluated again", func() bool {
				return x.Status.LastEvaluatedTime != nil && x.Status.LastEvaluatedTime.Time.Equal(end.Add(2*time.Minute))
			})
			NewWithT(t).Eventually(func(g Gomega) {
				evs := &eventsv1.EventList{}
				g.Expect(k8sClient.List(context.Background(), evs, client.InNamespace(e.ns))).To(Succeed())
				n := 0
				for _, ev := range evs.Items {
					if ev.Regarding.Name == "winner" && ev.Reason == leadopsv1.ReasonWinner {
						n++
						g.Expect(ev.Note).To(ContainSubstring("b wins"))
					}
				}
				g.Expect(n).To(Equal(1))
			}).WithTimeout(10 * time.Second).Should(Succeed())
		})
	}
}

// TestExperimentObservational: two campaigns compared by filter. The leads are routed by the sample
// inbound policy exactly as without the experiment (no arm recorded), and the experiment reports both
// campaigns.
func TestExperimentObservational(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_", "leadops_v1alpha1_leadpolicy")
			mustCreate(t, e.ns, experimentYAML("campaigns", `    - {name: concept-a, filter: "lead.campaign == 'spring-a'"}
    - {name: concept-b, filter: "lead.campaign == 'spring-b'"}`, window(testNow.Add(-time.Hour), testNow.Add(7*24*time.Hour))))
			x := e.experiment("campaigns")
			eventuallyCondition(t, x, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			for i, camp := range []string{"spring-a", "spring-a", "spring-a", "spring-b", "spring-b", "autumn"} {
				l := createLead(t, c, store.LeadInput{ExternalID: fmt.Sprintf("o-%d", i), Domain: fmt.Sprintf("observed%d.com", i), Employees: 10, Score: 70, Source: "web", Campaign: camp})
				got := e.eventuallyLead(l.ID, "routed by the inbound policy", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted })
				if got.Policy != e.ns+"/inbound" || got.Rule != "everyone-else" || got.Experiment != "" || got.Arm != "" {
					t.Fatalf("lead %d: policy %q rule %q experiment %q arm %q; want the inbound policy's routing, no arm", i, got.Policy, got.Rule, got.Experiment, got.Arm)
				}
			}
			e.clock.Set(testNow.Add(time.Minute))
			e.eventually(x, "both campaigns reported", func() bool {
				return x.Status.Summary == "concept-a=3 concept-b=2" && x.Status.MetricSummary == "0.0% / 0.0%" && x.Status.Phase == "Running"
			})
			if c := meta.FindStatusCondition(x.Status.Conditions, leadopsv1.ConditionConcluded); c == nil || c.Reason != leadopsv1.ReasonInsufficientData {
				t.Fatalf("Concluded %+v; want InsufficientData (3 and 2 leads, minimum 20)", c)
			}
		})
	}
}

// TestExperimentBadInput: every bad experiment is refused at admission or reported Ready=False with
// a reason and a message naming the field.
func TestExperimentBadInput(t *testing.T) {
	e := startEnv(t, "sqlite", testNow)
	e.applySamples("experiment_policy")
	mustCreate(t, e.ns, `apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: other-scope}
spec:
  selector: lead.campaign == 'autumn'
  rules: [{name: all, teamRef: {name: sales}}]`)
	w := window(testNow.Add(-time.Hour), testNow.Add(24*time.Hour))
	refused := []struct{ name, arms, extra, want string }{
		{"zero-weights", `    - {name: control, policyRef: {name: spring-sdr-first}, weight: 0}
    - {name: b, policyRef: {name: spring-ae-direct}, weight: 0}`, w, "at least one arm needs a weight above zero"},
		{"mixed-arms", `    - {name: control, policyRef: {name: spring-sdr-first}}
    - {name: b, filter: "lead.campaign == 'x'"}`, w, "arms must be all policy arms or all observational arms"},
		{"both-set", `    - {name: control, policyRef: {name: spring-sdr-first}, filter: "true"}
    - {name: b, policyRef: {name: spring-ae-direct}}`, w, "set exactly one of policyRef"},
		{"one-arm", `    - {name: control, policyRef: {name: spring-sdr-first}}`, w, "spec.arms"},
		{"alternate-without-period", policyArms, w + "  assignment: {strategy: Alternate}\n", "period is required with Alternate"},
	}
	for _, tc := range refused {
		err := create(t, e.ns, experimentYAML(tc.name, tc.arms, tc.extra))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: admission error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	notReady := []struct{ name, arms, extra, reason, want string }{
		{"missing-policy", `    - {name: control, policyRef: {name: spring-sdr-first}}
    - {name: b, policyRef: {name: no-such-policy}}`, w, leadopsv1.ReasonPolicyNotFound, `spec.arms[1].policyRef: LeadPolicy "no-such-policy" does not exist`},
		{"scope-mismatch", `    - {name: control, policyRef: {name: spring-sdr-first}}
    - {name: b, policyRef: {name: other-scope}}`, w, leadopsv1.ReasonScopeMismatch, "must have the same selector"},
		{"bad-filter", `    - {name: a, filter: "lead.campain == 'x'"}
    - {name: b, filter: "lead.campaign == 'y'"}`, w, leadopsv1.ReasonInvalidExpression, "spec.arms[0].filter"},
		{"bad-period", policyArms, w + "  assignment: {strategy: Alternate, period: 90m}\n", leadopsv1.ReasonInvalidSpec, "spec.assignment.period"},
		{"first", policyArms, w, leadopsv1.ReasonReconciled, ""},
		{"overlaps-first", policyArms, window(testNow, testNow.Add(48*time.Hour)), leadopsv1.ReasonOverlapping, `LeadExperiment "first"`},
	}
	for _, tc := range notReady {
		mustCreate(t, e.ns, experimentYAML(tc.name, tc.arms, tc.extra))
		status := metav1.ConditionFalse
		if tc.reason == leadopsv1.ReasonReconciled {
			status = metav1.ConditionTrue
		}
		cond := eventuallyCondition(t, e.experiment(tc.name), leadopsv1.ConditionReady, status, tc.reason)
		if !strings.Contains(cond.Message, tc.want) {
			t.Errorf("%s: Ready message %q, want it to contain %q", tc.name, cond.Message, tc.want)
		}
		// "first" must be Ready before "overlaps-first" is created, so creation order is clear.
		if tc.name == "first" {
			time.Sleep(1100 * time.Millisecond) // creationTimestamp has one-second resolution
		}
	}
}

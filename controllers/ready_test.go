package controllers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// testNow is a Monday morning in New York, inside the sample teams' working hours.
var testNow = time.Date(2027, 1, 11, 10, 0, 0, 0, time.FixedZone("EST", -5*3600))

// TestSamplesApplyAndBecomeReady applies every sample in config/samples and expects the controller to
// accept all of them.
func TestSamplesApplyAndBecomeReady(t *testing.T) {
	// Inside sdr-03's out-of-office week.
	ns := startEnv(t, "sqlite", time.Date(2027, 2, 16, 12, 0, 0, 0, time.FixedZone("EST", -5*3600))).ns
	files, err := filepath.Glob(filepath.Join(testRoot, "config", "samples", "leadops_*.yaml"))
	if err != nil || len(files) < 6 {
		t.Fatalf("want at least 6 samples in config/samples, found %d (%v)", len(files), err)
	}
	var objs []client.Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj := decode(t, ns, string(data))
		if err := k8sClient.Create(context.Background(), obj); err != nil {
			t.Fatalf("sample %s does not apply: %v", filepath.Base(f), err)
		}
		objs = append(objs, obj)
	}
	for _, o := range objs {
		var typed client.Object
		switch o.GetObjectKind().GroupVersionKind().Kind {
		case "Team":
			typed = &leadopsv1.Team{}
		case "LeadPolicy":
			typed = &leadopsv1.LeadPolicy{}
		case "TeamGoal":
			typed = &leadopsv1.TeamGoal{}
		case "LeadExperiment":
			typed = &leadopsv1.LeadExperiment{}
		default:
			t.Fatalf("unexpected kind in samples: %s", o.GetObjectKind().GroupVersionKind().Kind)
		}
		typed.SetNamespace(ns)
		typed.SetName(o.GetName())
		eventuallyCondition(t, typed, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
	}

	// The test clock stands inside sdr-03's out-of-office week: the SDR team shows 2 of 3 available.
	sdr := &leadopsv1.Team{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "sdr"}, sdr); err != nil {
		t.Fatal(err)
	}
	if sdr.Status.Members != 3 || sdr.Status.AvailableMembers != 2 || sdr.Status.Capacity != 80 {
		t.Fatalf("sdr status = members %d, available %d, capacity %d; want 3, 2, 80",
			sdr.Status.Members, sdr.Status.AvailableMembers, sdr.Status.Capacity)
	}
}

// TestInvalidExpressionThenFixed: a CEL compile error is reported with its field path; fixing the YAML
// turns the policy Ready.
func TestInvalidExpressionThenFixed(t *testing.T) {
	ns := startEnv(t, "sqlite", testNow).ns
	mustCreate(t, ns, validTeam)
	mustCreate(t, ns, strings.Replace(validPolicy, "{name: all, teamRef", "{name: all, when: \"lead.scor >= 60\", teamRef", 1))

	policy := &leadopsv1.LeadPolicy{}
	policy.Namespace, policy.Name = ns, "inbound"
	cond := eventuallyCondition(t, policy, leadopsv1.ConditionReady, metav1.ConditionFalse, leadopsv1.ReasonInvalidExpression)
	for _, want := range []string{"spec.rules[0].when", "undefined field 'scor'"} {
		if !strings.Contains(cond.Message, want) {
			t.Fatalf("Ready message %q does not contain %q", cond.Message, want)
		}
	}
	// The user sees it in `kubectl get events` too.
	NewWithT(t).Eventually(func(g Gomega) {
		evs := &eventsv1.EventList{}
		g.Expect(k8sClient.List(context.Background(), evs, client.InNamespace(ns))).To(Succeed())
		found := false
		for _, e := range evs.Items {
			found = found || (e.Reason == leadopsv1.ReasonInvalidExpression && e.Regarding.Name == "inbound" && e.Type == "Warning")
		}
		g.Expect(found).To(BeTrue(), "no Warning event with reason InvalidExpression")
	}).WithTimeout(10 * time.Second).Should(Succeed())

	// A broken qualification gate names its own path.
	policy.Spec.Rules[0].When = "lead.score >= 60"
	policy.Spec.Qualification = &leadopsv1.QualificationGate{Expression: "lead.score >= 'sixty'"}
	if err := k8sClient.Update(context.Background(), policy); err != nil {
		t.Fatal(err)
	}
	cond = eventuallyCondition(t, policy, leadopsv1.ConditionReady, metav1.ConditionFalse, leadopsv1.ReasonInvalidExpression)
	if !strings.Contains(cond.Message, "spec.qualification.expression") || !strings.Contains(cond.Message, "no matching overload") {
		t.Fatalf("Ready message %q does not name the gate and the type error", cond.Message)
	}

	policy.Spec.Qualification.Expression = "lead.score >= 60"
	if err := k8sClient.Update(context.Background(), policy); err != nil {
		t.Fatal(err)
	}
	eventuallyCondition(t, policy, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
}

// TestMissingTeamThenCreated: a policy and a goal naming a Team that does not exist say so, and turn
// Ready as soon as the Team appears, without a restart.
func TestMissingTeamThenCreated(t *testing.T) {
	ns := startEnv(t, "sqlite", testNow).ns
	mustCreate(t, ns, validPolicy)
	mustCreate(t, ns, validGoal)

	policy := &leadopsv1.LeadPolicy{}
	policy.Namespace, policy.Name = ns, "inbound"
	goal := &leadopsv1.TeamGoal{}
	goal.Namespace, goal.Name = ns, "goal"

	cond := eventuallyCondition(t, policy, leadopsv1.ConditionReady, metav1.ConditionFalse, leadopsv1.ReasonTeamNotFound)
	if !strings.Contains(cond.Message, `spec.rules[0].teamRef: Team "sdr" does not exist`) {
		t.Fatalf("policy Ready message %q does not name the reference", cond.Message)
	}
	cond = eventuallyCondition(t, goal, leadopsv1.ConditionReady, metav1.ConditionFalse, leadopsv1.ReasonTeamNotFound)
	if !strings.Contains(cond.Message, `spec.teamRef: Team "sdr" does not exist`) {
		t.Fatalf("goal Ready message %q does not name the reference", cond.Message)
	}

	mustCreate(t, ns, validTeam)
	eventuallyCondition(t, policy, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
	eventuallyCondition(t, goal, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
}

// TestGoalFilterInvalid: a TeamGoal's filter is compiled like a policy's expressions.
func TestGoalFilterInvalid(t *testing.T) {
	ns := startEnv(t, "sqlite", testNow).ns
	mustCreate(t, ns, validTeam)
	mustCreate(t, ns, strings.Replace(validGoal, "metric: Revenue", "metric: Revenue\n  filter: lead.source = 'webinar'", 1))
	goal := &leadopsv1.TeamGoal{}
	goal.Namespace, goal.Name = ns, "goal"
	cond := eventuallyCondition(t, goal, leadopsv1.ConditionReady, metav1.ConditionFalse, leadopsv1.ReasonInvalidExpression)
	if !strings.Contains(cond.Message, "spec.filter") {
		t.Fatalf("Ready message %q does not name spec.filter", cond.Message)
	}
	goal.Spec.Filter = "lead.source == 'webinar'"
	if err := k8sClient.Update(context.Background(), goal); err != nil {
		t.Fatal(err)
	}
	eventuallyCondition(t, goal, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
}

// TestTeamInvalidTimezone: the API server cannot know the IANA database; the controller does.
func TestTeamInvalidTimezone(t *testing.T) {
	ns := startEnv(t, "sqlite", testNow).ns
	mustCreate(t, ns, strings.Replace(validTeam, "America/New_York", "Mars/Olympus_Mons", 1))
	team := &leadopsv1.Team{}
	team.Namespace, team.Name = ns, "sdr"
	cond := eventuallyCondition(t, team, leadopsv1.ConditionReady, metav1.ConditionFalse, leadopsv1.ReasonInvalidTimezone)
	if !strings.Contains(cond.Message, `spec.timezone: unknown timezone "Mars/Olympus_Mons"`) {
		t.Fatalf("Ready message %q", cond.Message)
	}
	team.Spec.Timezone = "Europe/Berlin"
	if err := k8sClient.Update(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	eventuallyCondition(t, team, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
}

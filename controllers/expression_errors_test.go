package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// brokenSelectorPolicy outranks `inbound` and fails on every lead without a `plan` attribute.
const brokenSelectorPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: broken}
spec:
  priority: 10
  selector: "lead.attributes.plan == 'enterprise'"
  rules: [{name: all, teamRef: {name: sdr}}]
`

// TestFailingExpressionIsNotRetriedOnAWaitingQueue: a selector that fails on every lead is evaluated
// once per version of a lead, never again on every pass over the waiting queue; the errors count
// under the policy whose selector failed; the policy says so in ExpressionErrors and Ready; one
// aggregated Warning Event, not one per pass.
func TestFailingExpressionIsNotRetriedOnAWaitingQueue(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			ctx := context.Background()
			mustCreate(t, e.ns, strings.Replace(validTeam, "capacity: 10", "capacity: 1", 1))
			mustCreate(t, e.ns, validPolicy)
			mustCreate(t, e.ns, brokenSelectorPolicy)
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)

			const queue = 300
			var batch []store.LeadInput
			for i := 0; i < queue; i++ {
				batch = append(batch, store.LeadInput{ExternalID: fmt.Sprintf("q-%d", i), Score: 70})
			}
			if _, err := e.store.UpsertLeads(ctx, batch, "seed"); err != nil {
				t.Fatal(err)
			}
			inbound := e.policy("inbound")
			e.eventually(inbound, fmt.Sprintf("1 routed, %d queued", queue-1), func() bool {
				return inbound.Status.Routed == 1 && inbound.Status.Queued == queue-1
			})

			broken := e.policy("broken")
			errs := expressionErrorsTotal.WithLabelValues(e.ns+"/broken", "selector")
			if n := testutil.ToFloat64(expressionErrorsTotal.WithLabelValues(e.ns+"/inbound", "selector")); n != 0 {
				t.Fatalf("errors counted under the policy that governed the leads: %v", n)
			}
			// Each waiting lead failed the selector once as a new lead and once more after it was queued
			// (a new version of the lead); the routed one once: so many, however many passes ran.
			settled := func(want float64) {
				t.Helper()
				NewWithT(t).Eventually(func() float64 { return testutil.ToFloat64(errs) }).
					WithTimeout(20 * time.Second).Should(Equal(want))
				NewWithT(t).Consistently(func() float64 { return testutil.ToFloat64(errs) }).
					WithTimeout(time.Second).Should(Equal(want))
			}
			settled(2*queue - 1)

			cond := eventuallyCondition(t, broken, leadopsv1.ConditionExpressionErrors, "True", leadopsv1.ReasonEvaluationFailed)
			for _, want := range []string{"spec.selector", "no such key: plan", "generation 1"} {
				if !strings.Contains(cond.Message, want) {
					t.Fatalf("ExpressionErrors message %q does not say %q", cond.Message, want)
				}
			}
			eventuallyCondition(t, broken, leadopsv1.ConditionReady, "False", leadopsv1.ReasonExpressionErrors)
			eventuallyCondition(t, inbound, leadopsv1.ConditionExpressionErrors, "False", leadopsv1.ReasonNoErrors)

			// New leads wake the router; each pass walks the whole queue, yet only the new leads'
			// selectors are evaluated.
			for i := 0; i < 5; i++ {
				l, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("new-%d", i), Score: 70}, "seed")
				if err != nil {
					t.Fatal(err)
				}
				e.eventuallyLead(l.ID, "queued", func(l *lead.Lead) bool { return l.Stage == lead.StageQualified })
			}
			settled(2*queue - 1 + 2*5)

			// Events: one aggregated Warning for the failures, not one per pass.
			NewWithT(t).Eventually(func(g Gomega) {
				evs := &eventsv1.EventList{}
				g.Expect(k8sClient.List(ctx, evs, client.InNamespace(e.ns))).To(Succeed())
				n := 0
				for _, ev := range evs.Items {
					if ev.Reason == "ExpressionError" && ev.Regarding.Name == "broken" {
						n++
						g.Expect(ev.Type).To(Equal("Warning"))
						g.Expect(ev.Note).To(ContainSubstring("spec.selector: no such key: plan"))
					}
				}
				g.Expect(n).To(BeNumerically(">=", 1))
				g.Expect(n).To(BeNumerically("<=", 3), "ExpressionError Events are aggregated over %s", eventInterval)
			}).WithTimeout(15 * time.Second).Should(Succeed())

			// Fixing the policy (a new generation) clears the condition and makes it Ready again.
			update(t, broken, func() { broken.Spec.Selector = "has(lead.attributes.plan) && lead.attributes.plan == 'enterprise'" })
			eventuallyCondition(t, broken, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := eventuallyCondition(t, broken, leadopsv1.ConditionExpressionErrors, "False", leadopsv1.ReasonNoErrors)
			if c.ObservedGeneration != 2 {
				t.Fatalf("ExpressionErrors observedGeneration %d, want 2", c.ObservedGeneration)
			}
		})
	}
}

// TestExpensiveExpressionRefused: an expression whose worst case exceeds the cost limit is refused when
// the policy is compiled, with its field path, before it can slow routing down.
func TestExpensiveExpressionRefused(t *testing.T) {
	e := startEnv(t, "sqlite", testNow)
	mustCreate(t, e.ns, validTeam)
	mustCreate(t, e.ns, strings.Replace(validPolicy, "rules:",
		"selector: \"lists.range(1000).exists(i, lists.range(1000).exists(j, i * j == lead.score))\"\n  rules:", 1))
	c := eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "False", leadopsv1.ReasonInvalidExpression)
	if !strings.HasPrefix(c.Message, "spec.selector: the expression may cost") || !strings.Contains(c.Message, "over the limit of 100000") {
		t.Fatalf("Ready message %q", c.Message)
	}
}

// TestRoutingEventsAreAggregated: a stream of passes gives one Routed Event per interval whose counts
// add up to the leads routed, not one Event per pass.
func TestRoutingEventsAreAggregated(t *testing.T) {
	e := startEnv(t, "sqlite", testNow)
	ctx := context.Background()
	mustCreate(t, e.ns, strings.Replace(validTeam, "capacity: 10", "capacity: 100", 1))
	mustCreate(t, e.ns, validPolicy)
	eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	const leads = 20
	for i := 0; i < leads; i++ {
		l, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("l-%d", i), Score: 70}, "seed")
		if err != nil {
			t.Fatal(err)
		}
		e.eventuallyLead(l.ID, "routed", ownedBy("sdr-01"))
	}
	NewWithT(t).Eventually(func(g Gomega) {
		evs := &eventsv1.EventList{}
		g.Expect(k8sClient.List(ctx, evs, client.InNamespace(e.ns))).To(Succeed())
		n, routed := 0, 0
		for _, ev := range evs.Items {
			if ev.Reason != "Routed" || ev.Regarding.Name != "inbound" {
				continue
			}
			n++
			var k int
			_, err := fmt.Sscanf(ev.Note[strings.Index(ev.Note, ": ")+2:], "%d routed", &k)
			g.Expect(err).NotTo(HaveOccurred(), "note %q", ev.Note)
			routed += k
			g.Expect(ev.Series).To(BeNil(), "an Event recorded twice: %q", ev.Note)
		}
		g.Expect(routed).To(Equal(leads), "the Events' counts add up to the leads routed")
		g.Expect(n).To(BeNumerically("<=", 3))
	}).WithTimeout(2 * eventInterval).WithPolling(200 * time.Millisecond).Should(Succeed())
}

// TestAPIServerReportsItsVersion: the envtest kube-apiserver (and so `make demo`'s) carries its real
// version, so `kubectl version` works against it.
func TestAPIServerReportsItsVersion(t *testing.T) {
	info, err := discovery.NewDiscoveryClientForConfigOrDie(restConfig).ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	v, err := version.ParseSemantic(info.GitVersion)
	if err != nil || v.Major() != 1 || info.Major != "1" || info.Minor == "" {
		t.Fatalf("kube-apiserver reports version %+v (%v): rebuild it with hack/envtest-assets.sh, which stamps the version", info, err)
	}
}

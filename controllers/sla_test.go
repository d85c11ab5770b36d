package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const slaTeam = `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: America/New_York
  manager: sdr-lead
  workingHours: [{days: [Monday, Tuesday, Wednesday, Thursday, Friday], start: "09:00", end: "17:00"}]
  members: [{name: rep-a, capacity: 10}, {name: rep-b, capacity: 10}, {name: rep-c, capacity: 10}]
`

const slaPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: inbound}
spec:
  rules: [{name: all, teamRef: {name: sdr}, strategy: RoundRobin}]
  sla:
    firstTouch: {within: 1h, warnBefore: 15m, clock: BusinessHours}
    onBreach: {reassign: true, maxReassignments: 1, escalateToManager: true}
`

func condOf(p *leadopsv1.LeadPolicy, typ string) *struct{ Status, Reason, Message string } {
	c := meta.FindStatusCondition(p.Status.Conditions, typ)
	if c == nil || c.ObservedGeneration != p.Generation {
		return nil
	}
	return &struct{ Status, Reason, Message string }{string(c.Status), c.Reason, c.Message}
}

// TestSLABreachReassignEscalateAndClear follows one untouched lead through its SLA: at risk at the
// warning time, breached exactly at the deadline (not a moment before), reassigned with a fresh SLA,
// breached again and escalated to the manager, and cleared when it is touched.
func TestSLABreachReassignEscalateAndClear(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow) // Monday 10:00 in New York
			mustCreate(t, e.ns, slaTeam)
			mustCreate(t, e.ns, slaPolicy)
			p := e.policy("inbound")
			eventuallyCondition(t, p, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			l := createLead(t, c, store.LeadInput{ExternalID: "stale", Domain: "stale.com", Score: 70})
			routed := e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))
			if !routed.FirstTouchDue.Equal(testNow.Add(time.Hour)) {
				t.Fatalf("deadline %v, want %v", routed.FirstTouchDue, testNow.Add(time.Hour))
			}
			key := e.ns + "/inbound"
			breaches := func() float64 { return testutil.ToFloat64(slaBreachesTotal.WithLabelValues(key, slaFirstTouch)) }

			e.eventually(p, "within SLA, not at risk", func() bool {
				b, r := condOf(p, leadopsv1.ConditionSLABreached), condOf(p, leadopsv1.ConditionSLAAtRisk)
				return b != nil && b.Status == "False" && b.Reason == "WithinSLA" && r != nil && r.Status == "False"
			})

			e.clock.Set(testNow.Add(45 * time.Minute))
			e.eventually(p, "SLAAtRisk at the warning time", func() bool {
				r := condOf(p, leadopsv1.ConditionSLAAtRisk)
				return r != nil && r.Status == "True" && r.Reason == "WarningTimePassed"
			})

			// A millisecond before the deadline nothing is breached, however long we wait.
			e.clock.Set(testNow.Add(time.Hour - time.Millisecond))
			NewWithT(t).Consistently(func() int { return len(e.audit(l.ID, "breached")) }).
				WithTimeout(1500 * time.Millisecond).WithPolling(100 * time.Millisecond).Should(Equal(0))
			if b := condOf(p, leadopsv1.ConditionSLABreached); b != nil && b.Status == "True" {
				t.Fatalf("SLABreached before the deadline: %+v", b)
			}

			e.clock.Set(testNow.Add(time.Hour))
			re := e.eventuallyLead(l.ID, "reassigned to rep-b", ownedBy("rep-b"))
			if re.ReassignmentCount != 1 || len(re.PreviousOwners) != 1 || re.PreviousOwners[0] != "rep-a" ||
				!re.FirstTouchDue.Equal(testNow.Add(2*time.Hour)) || re.BreachCount != 1 {
				t.Fatalf("after the first breach: %+v; want rep-b with a fresh one-hour SLA", re)
			}
			br := e.audit(l.ID, "breached")
			if len(br) != 1 || br[0].Data["sla"] != slaFirstTouch || !strings.Contains(br[0].Reason, "first-touch SLA breached") {
				t.Fatalf("breach audit entries: %+v", br)
			}
			if ra := e.audit(l.ID, "reassigned"); len(ra) != 1 || !strings.Contains(ra[0].Reason, "reassigned from rep-a to rep-b") {
				t.Fatalf("reassignment audit entries: %+v", ra)
			}
			if got := breaches(); got != 1 {
				t.Fatalf("leadops_sla_breaches_total = %v, want 1", got)
			}
			e.eventually(p, "lastBreachTime at the deadline", func() bool {
				return p.Status.LastBreachTime != nil && p.Status.LastBreachTime.Time.Equal(testNow.Add(time.Hour))
			})
			NewWithT(t).Eventually(func(g Gomega) {
				evs := &eventsv1.EventList{}
				g.Expect(k8sClient.List(context.Background(), evs, client.InNamespace(e.ns))).To(Succeed())
				found := false
				for _, ev := range evs.Items {
					found = found || (ev.Reason == "SLABreached" && ev.Type == "Warning" && strings.Contains(ev.Note, "1 handoffs breached their SLA in this pass (1 first touch, 0 acceptance); 1 reassigned"))
				}
				g.Expect(found).To(BeTrue())
			}).WithTimeout(10 * time.Second).Should(Succeed())

			// The second breach exhausts reassignment: the manager gets it and the policy shows it.
			e.clock.Set(testNow.Add(2 * time.Hour))
			e.eventuallyLead(l.ID, "escalated to sdr-lead", func(l *lead.Lead) bool { return l.Owner == "sdr-lead" })
			e.eventually(p, "SLABreached=True FirstTouchOverdue", func() bool {
				b := condOf(p, leadopsv1.ConditionSLABreached)
				return b != nil && b.Status == "True" && b.Reason == "FirstTouchOverdue" && p.Status.Breached == 1 &&
					strings.HasPrefix(b.Message, "1 handoff overdue (1 awaiting first touch, 0 awaiting accept or reject)")
			})
			if r := condOf(p, leadopsv1.ConditionReady); r == nil || r.Status != "True" {
				t.Fatalf("a breach made the policy un-Ready: %+v", r)
			}
			if got := breaches(); got != 2 {
				t.Fatalf("leadops_sla_breaches_total = %v, want 2", got)
			}

			// The manager touches it: the breach clears.
			if _, err := c.Apply(context.Background(), l.ID, api.ActivityRequest{Kind: store.ActivityTouch}); err != nil {
				t.Fatal(err)
			}
			e.eventually(p, "SLABreached=False WithinSLA", func() bool {
				b := condOf(p, leadopsv1.ConditionSLABreached)
				return b != nil && b.Status == "False" && b.Reason == "WithinSLA" && p.Status.Breached == 0
			})
			if n := len(e.audit(l.ID, "breached")); n != 2 {
				t.Fatalf("%d breach entries, want 2 (one per handoff)", n)
			}
		})
	}
}

// TestSLABreachRecordedOnceAcrossRestarts: the controller is down when the deadline passes; the next
// one records the breach, and a further restart does not record it again.
func TestSLABreachRecordedOnceAcrossRestarts(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			mustCreate(t, e.ns, slaTeam)
			mustCreate(t, e.ns, strings.Replace(slaPolicy, "onBreach: {reassign: true, maxReassignments: 1, escalateToManager: true}", "onBreach: {reassign: false}", 1))
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			l := createLead(t, c, store.LeadInput{ExternalID: "x", Domain: "x.com", Score: 70})
			e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))

			e.stop()
			e.clock.Set(testNow.Add(90 * time.Minute))
			for i := 0; i < 2; i++ {
				stop := startManager(t, e.ns, e.store, e.clock)
				e.eventuallyLead(l.ID, "breach recorded", func(l *lead.Lead) bool { return l.FirstTouchBreachedAt != nil && l.BreachCount == 1 })
				time.Sleep(500 * time.Millisecond) // give a duplicate the chance to appear
				stop()
			}
			if n := len(e.audit(l.ID, "breached")); n != 1 {
				t.Fatalf("%d breach entries after two restarts, want exactly 1", n)
			}
		})
	}
}

package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
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
			breaches := func() float64 {
				return testutil.ToFloat64(slaBreachesTotal.WithLabelValues(key, string(lead.SLAFirstTouch)))
			}

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
			if len(br) != 1 || br[0].Data["sla"] != string(lead.SLAFirstTouch) || !strings.Contains(br[0].Reason, "first-touch SLA breached") {
				t.Fatalf("breach audit entries: %+v", br)
			}
			if ra := e.audit(l.ID, "reassigned"); len(ra) != 1 || !strings.Contains(ra[0].Reason, "reassigned from rep-a to rep-b") {
				t.Fatalf("reassignment audit entries: %+v", ra)
			}
			if got := breaches(); got != 1 {
				t.Fatalf("leadops_sla_breaches_total = %v, want 1", got)
			}
			e.eventually(p, "lastBreachTime when the breach was recorded", func() bool {
				return p.Status.LastBreachTime != nil && p.Status.LastBreachTime.Time.Equal(testNow.Add(time.Hour))
			})
			NewWithT(t).Eventually(func(g Gomega) {
				evs := &eventsv1.EventList{}
				g.Expect(k8sClient.List(context.Background(), evs, client.InNamespace(e.ns))).To(Succeed())
				found := false
				for _, ev := range evs.Items {
					found = found || (ev.Reason == "SLABreached" && ev.Type == "Warning" && strings.Contains(ev.Note, "1 handoff breached its SLA (1 first touch, 0 acceptance); 1 reassigned"))
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

			// The manager touches it: nothing is overdue, but the breach recorded a moment ago holds
			// SLABreached for the window; then it clears.
			if _, err := c.Apply(context.Background(), l.ID, api.ActivityRequest{Kind: store.ActivityTouch}); err != nil {
				t.Fatal(err)
			}
			e.eventually(p, "SLABreached=True RecentlyBreached once nothing is overdue", func() bool {
				b := condOf(p, leadopsv1.ConditionSLABreached)
				return b != nil && b.Status == "True" && b.Reason == "RecentlyBreached" && p.Status.Breached == 0
			})
			e.clock.Set(testNow.Add(2*time.Hour + 15*time.Minute))
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
			// lastBreachAt is when the breach was recorded (the restart), not the deadline it missed,
			// which the audit entry keeps: SLABreached's window runs from when the breach became known.
			got, err := e.store.GetLead(context.Background(), l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if recorded := testNow.Add(90 * time.Minute); got.LastBreachAt == nil || !got.LastBreachAt.Equal(recorded) {
				t.Fatalf("lastBreachAt = %v, want the recording time %v", got.LastBreachAt, recorded)
			}
			if br := e.audit(l.ID, "breached"); br[0].Data["due"] != testNow.Add(time.Hour).UTC().Format(time.RFC3339) {
				t.Fatalf("the breach entry's due = %v, want the deadline %v", br[0].Data["due"], testNow.Add(time.Hour).UTC())
			}
		})
	}
}

// TestSLABreachedHoldsForTheWindow: a breach that is reassigned at once (fresh SLA, nothing overdue)
// keeps SLABreached=True with reason RecentlyBreached for spec.sla.breachConditionWindow (default
// 15m), visible in the SLA column of `kubectl get`, and the condition turns False exactly when the
// window has passed since the breach was recorded: not a millisecond before.
func TestSLABreachedHoldsForTheWindow(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow) // Monday 10:00 in New York
			mustCreate(t, e.ns, slaTeam)
			mustCreate(t, e.ns, slaPolicy)
			p := e.policy("inbound")
			eventuallyCondition(t, p, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			if got := p.Spec.SLA.BreachConditionWindow; got != "15m" {
				t.Fatalf("breachConditionWindow defaulted to %q, want 15m", got)
			}
			if col := printerColumn(t, p, "SLA"); col != "WithinSLA" {
				t.Fatalf("SLA column = %q, want WithinSLA", col)
			}
			c := e.apiClient()
			l := createLead(t, c, store.LeadInput{ExternalID: "stale", Domain: "stale.com", Score: 70})
			e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))

			recorded := testNow.Add(time.Hour)
			e.clock.Set(recorded)
			re := e.eventuallyLead(l.ID, "reassigned to rep-b", ownedBy("rep-b"))
			if re.LastBreachAt == nil || !re.LastBreachAt.Equal(recorded) || !re.FirstTouchDue.Equal(testNow.Add(2*time.Hour)) {
				t.Fatalf("after the breach: lastBreachAt %v, first touch due %v; want %v and a fresh SLA", re.LastBreachAt, re.FirstTouchDue, recorded)
			}
			e.eventually(p, "SLABreached=True RecentlyBreached after the reassignment", func() bool {
				b := condOf(p, leadopsv1.ConditionSLABreached)
				return b != nil && b.Status == "True" && b.Reason == "RecentlyBreached" && p.Status.Breached == 0 &&
					b.Message == "0 handoffs overdue; 1 lead breached its SLA in the last 15m, the newest 0s ago"
			})
			if col := printerColumn(t, p, "SLA"); col != "RecentlyBreached" {
				t.Fatalf("SLA column = %q, want RecentlyBreached", col)
			}
			// The status reconciler asks to be woken when the window ends, before the fresh SLA's
			// warning (1h45m) and deadline (2h).
			r := &LeadPolicyReconciler{Store: e.store, Clock: e.clock}
			next, err := r.reconcileSLA(context.Background(), p.DeepCopy())
			if err != nil {
				t.Fatal(err)
			}
			if want := recorded.Add(15 * time.Minute); !next.Equal(want) {
				t.Fatalf("next time-driven event %v, want the end of the window %v", next, want)
			}

			e.clock.Set(recorded.Add(15*time.Minute - time.Millisecond))
			e.eventually(p, "still RecentlyBreached a millisecond before the window ends", func() bool {
				b := condOf(p, leadopsv1.ConditionSLABreached)
				return b != nil && b.Status == "True" && b.Reason == "RecentlyBreached" && strings.HasSuffix(b.Message, "the newest 14m ago")
			})
			NewWithT(t).Consistently(func(g Gomega) {
				g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(p), p)).To(Succeed())
				b := condOf(p, leadopsv1.ConditionSLABreached)
				g.Expect(b).NotTo(BeNil())
				g.Expect(b.Status).To(Equal("True"))
			}).WithTimeout(1500 * time.Millisecond).WithPolling(100 * time.Millisecond).Should(Succeed())

			e.clock.Set(recorded.Add(15 * time.Minute))
			e.eventually(p, "SLABreached=False exactly when the window ends", func() bool {
				b := condOf(p, leadopsv1.ConditionSLABreached)
				return b != nil && b.Status == "False" && b.Reason == "WithinSLA" &&
					b.Message == "every open handoff is within its SLA; no SLA breach in the last 15m"
			})
			if col := printerColumn(t, p, "SLA"); col != "WithinSLA" {
				t.Fatalf("SLA column = %q, want WithinSLA", col)
			}
			if p.Status.LastBreachTime == nil || !p.Status.LastBreachTime.Time.Equal(recorded) {
				t.Fatalf("lastBreachTime = %v, want %v", p.Status.LastBreachTime, recorded)
			}
		})
	}
}

// TestSLABreachConditionWindowAdmission: 0s (only while overdue) and a week are accepted.
func TestSLABreachConditionWindowAdmission(t *testing.T) {
	ns := newNamespace(t)
	for i, w := range []string{"0s", "168h", "90m"} {
		doc := strings.Replace(validPolicy, "metadata: {name: inbound}", fmt.Sprintf("metadata: {name: window-%d}", i), 1) +
			"    breachConditionWindow: " + w + "\n"
		mustCreate(t, ns, doc)
	}
}

// printerColumn reads obj the way `kubectl get` does (as a server-side Table) and returns the cell
// of the named column; the column must be shown without -o wide.
func printerColumn(t *testing.T, obj client.Object, name string) string {
	t.Helper()
	hc, err := rest.HTTPClientFor(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/apis/leadops.io/v1alpha1/namespaces/%s/leadpolicies/%s", strings.TrimSuffix(restConfig.Host, "/"), obj.GetNamespace(), obj.GetName())
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var table metav1.Table
	if err := json.NewDecoder(resp.Body).Decode(&table); err != nil || resp.StatusCode != http.StatusOK || len(table.Rows) != 1 {
		t.Fatalf("reading %s as a table: status %d, %d rows, %v", url, resp.StatusCode, len(table.Rows), err)
	}
	for i, col := range table.ColumnDefinitions {
		if col.Name == name {
			if col.Priority != 0 {
				t.Fatalf("column %s has priority %d: only shown with -o wide", name, col.Priority)
			}
			return fmt.Sprint(table.Rows[0].Cells[i])
		}
	}
	t.Fatalf("no %s column in %+v", name, table.ColumnDefinitions)
	return ""
}

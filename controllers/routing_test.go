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
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestRoutingWithSamplePolicy: leads created through the HTTP API are routed by the sample policy to
// the people a sales manager would expect, and the policy's status, events and audit trail say so.
func TestRoutingWithSamplePolicy(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_", "leadpolicy")
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			ctx := context.Background()
			if _, err := c.UpsertAccount(ctx, store.Account{Domain: "acme.com", Owner: "ae-02"}); err != nil {
				t.Fatal(err)
			}

			low := createLead(t, c, store.LeadInput{ExternalID: "low", Email: "a@tiny.io", Domain: "tiny.io", Score: 40, Source: "web"})
			e.eventuallyLead(low.ID, "disqualified", func(l *lead.Lead) bool {
				return l.Stage == lead.StageDisqualified && l.Reason == "score below 60; nurture before handing off"
			})

			acme := createLead(t, c, store.LeadInput{ExternalID: "acme", Email: "b@acme.com", Domain: "acme.com", Employees: 50, Score: 80, Source: "web"})
			e.eventuallyLead(acme.ID, "the account owner ae-02", ownedBy("ae-02"))

			// Large companies go to account executives in turn, in name order.
			for i, want := range []string{"ae-01", "ae-02", "ae-03", "ae-01"} {
				l := createLead(t, c, store.LeadInput{ExternalID: fmt.Sprintf("big-%d", i), Domain: fmt.Sprintf("big%d.com", i), Employees: 5000, Score: 70, Source: "web"})
				e.eventuallyLead(l.ID, want, ownedBy(want))
			}
			// The rest go to the SDR with the most room (sdr-03, with less capacity, only after the others fill).
			small := createLead(t, c, store.LeadInput{ExternalID: "small-1", Domain: "small1.com", Employees: 10, Score: 65, Source: "web"})
			got := e.eventuallyLead(small.ID, "an SDR", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted && strings.HasPrefix(l.Owner, "sdr-") })
			if got.Owner != "sdr-01" || got.Team != e.ns+"/sdr" || got.Policy != e.ns+"/inbound" || got.Rule != "everyone-else" {
				t.Fatalf("small company lead: owner %q team %q policy %q rule %q; want sdr-01 on %s/sdr by %s/inbound rule everyone-else", got.Owner, got.Team, got.Policy, got.Rule, e.ns, e.ns)
			}
			if got.FirstTouchDue == nil || !got.FirstTouchDue.Equal(testNow.Add(time.Hour)) || got.FirstTouchWarn == nil || !got.FirstTouchWarn.Equal(testNow.Add(45*time.Minute)) {
				t.Fatalf("first-touch deadline %v warn %v; want one business hour (%v) and a warning 15 minutes before", got.FirstTouchDue, got.FirstTouchWarn, testNow.Add(time.Hour))
			}
			if got.AcceptanceDue == nil || !got.AcceptanceDue.Equal(testNow.Add(24*time.Hour)) {
				t.Fatalf("acceptance deadline %v, want 24 wall-clock hours", got.AcceptanceDue)
			}

			// Partner referrals are outside the policy's selector: they stay unrouted and visible.
			partner := createLead(t, c, store.LeadInput{ExternalID: "partner", Domain: "p.com", Score: 99, Source: "partner"})

			// The audit trail explains the decision in words a sales manager understands.
			routed := e.audit(small.ID, "routed")
			if len(routed) != 1 || !strings.Contains(routed[0].Reason, `rule "everyone-else" sent it to team "sdr"; least loaded chose sdr-01: most room left (0 open of 40)`) ||
				routed[0].Data["strategy"] != "LeastLoaded" || routed[0].Data["generation"] == nil || routed[0].Data["candidates"] == nil {
				t.Fatalf("routed audit entry does not explain the decision: %+v", routed)
			}
			if q := e.audit(small.ID, "qualified"); len(q) != 1 {
				t.Fatalf("want one qualified audit entry, got %+v", q)
			}

			// The policy's status counts it all, and one Event summarises each pass.
			p := e.policy("inbound")
			e.eventually(p, "6 routed, 6 open, 1 disqualified", func() bool {
				return p.Status.Routed == 6 && p.Status.Open == 6 && p.Status.Disqualified == 1 && p.Status.Queued == 0 && p.Status.LastRoutedTime != nil
			})
			NewWithT(t).Eventually(func(g Gomega) {
				evs := &eventsv1.EventList{}
				g.Expect(k8sClient.List(ctx, evs, client.InNamespace(e.ns))).To(Succeed())
				found := false
				for _, ev := range evs.Items {
					found = found || (ev.Reason == "Routed" && ev.Regarding.Name == "inbound" && strings.Contains(ev.Note, "routed"))
				}
				g.Expect(found).To(BeTrue())
			}).WithTimeout(10 * time.Second).Should(Succeed())

			l, err := e.store.GetLead(ctx, partner.ID)
			if err != nil || l.Stage != lead.StageNew || l.Owner != "" {
				t.Fatalf("partner lead: %+v %v; want it left new and unowned", l, err)
			}
			// Ops can list unrouted leads through the API.
			page, err := c.ListLeads(ctx, store.ListFilter{Stages: []lead.Stage{lead.StageNew}})
			if err != nil || len(page.Leads) != 1 || page.Leads[0].ID != partner.ID {
				t.Fatalf("listing new leads: %+v %v", page, err)
			}
			// The API's lead view carries the explanation too.
			view, err := c.GetLead(ctx, small.ID)
			if err != nil || !hasAudit(view, "routed") {
				t.Fatalf("API lead view lacks the routing decision: %v", err)
			}
		})
	}
}

func hasAudit(v *api.LeadWithAudit, typ string) bool {
	for _, ev := range v.Audit {
		if ev.Type == typ {
			return true
		}
	}
	return false
}

// TestTeamEditChangesRouting: a member going out of office and a capacity change steer the next leads
// without touching leads already owned.
func TestTeamEditChangesRouting(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_sdr", "team_sales", "leadpolicy")
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			small := func(id string) *lead.Lead {
				return createLead(t, c, store.LeadInput{ExternalID: id, Domain: id + ".com", Employees: 10, Score: 65})
			}
			first := small("s1")
			e.eventuallyLead(first.ID, "sdr-01", ownedBy("sdr-01"))

			// sdr-01 and sdr-02 go out of office now: the next lead goes to sdr-03.
			sdr := e.team("sdr")
			update(t, sdr, func() {
				for i := range sdr.Spec.Members {
					if sdr.Spec.Members[i].Name != "sdr-03" {
						sdr.Spec.Members[i].OutOfOffice = append(sdr.Spec.Members[i].OutOfOffice, leadopsv1.OutOfOffice{
							Start: testNow.Add(-time.Hour).Format(time.RFC3339), End: testNow.Add(48 * time.Hour).Format(time.RFC3339)})
					}
				}
			})
			e.eventually(sdr, "1 available member", func() bool {
				return sdr.Status.AvailableMembers == 1 && sdr.Status.ObservedGeneration == sdr.Generation
			})
			second := small("s2")
			e.eventuallyLead(second.ID, "sdr-03", ownedBy("sdr-03"))

			// sdr-03 is full at capacity 1 after lowering it; raising it again routes the waiting lead.
			update(t, sdr, func() {
				for i := range sdr.Spec.Members {
					if sdr.Spec.Members[i].Name == "sdr-03" {
						sdr.Spec.Members[i].Capacity = 1
					}
				}
			})
			e.eventually(sdr, "capacity 1", func() bool { return sdr.Status.Capacity == 1 && sdr.Status.ObservedGeneration == sdr.Generation })
			third := small("s3")
			e.eventuallyLead(third.ID, "queued", func(l *lead.Lead) bool {
				return l.Stage == lead.StageQualified && l.Owner == "" && l.Team == e.ns+"/sdr"
			})
			update(t, sdr, func() {
				for i := range sdr.Spec.Members {
					if sdr.Spec.Members[i].Name == "sdr-03" {
						sdr.Spec.Members[i].Capacity = 25
					}
				}
			})
			e.eventuallyLead(third.ID, "sdr-03 after the capacity was raised", ownedBy("sdr-03"))
			// The first lead was never re-routed.
			if l, _ := e.store.GetLead(context.Background(), first.ID); l.Owner != "sdr-01" || len(e.audit(first.ID, "routed")) != 1 {
				t.Fatalf("a Team edit re-routed an owned lead: owner %q", l.Owner)
			}
		})
	}
}

// TestFullTeamQueuesAndDrains: when every member is full, leads wait, the policy and the team say so,
// and the queue drains as soon as a handoff is accepted.
func TestFullTeamQueuesAndDrains(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			mustCreate(t, e.ns, `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: America/New_York
  members: [{name: solo, capacity: 2}]
`)
			mustCreate(t, e.ns, `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: all}
spec:
  rules: [{name: all, teamRef: {name: sdr}, strategy: LeastLoaded}]
`)
			eventuallyCondition(t, e.policy("all"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			var ids []string
			for i := 0; i < 5; i++ {
				ids = append(ids, createLead(t, c, store.LeadInput{ExternalID: fmt.Sprintf("l%d", i), Score: 50}).ID)
			}
			e.eventuallyLead(ids[1], "solo", ownedBy("solo"))
			for _, id := range ids[2:] {
				e.eventuallyLead(id, "queued", func(l *lead.Lead) bool { return l.Stage == lead.StageQualified && l.Owner == "" })
			}
			p := e.policy("all")
			e.eventually(p, "CapacityExceeded=True with 3 queued", func() bool {
				c := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionCapacityExceeded)
				return p.Status.Queued == 3 && c != nil && c.Status == "True" && strings.HasPrefix(c.Message, "3 leads wait")
			})
			team := e.team("sdr")
			e.eventually(team, "queued 3 and OverCapacity", func() bool {
				c := meta.FindStatusCondition(team.Status.Conditions, leadopsv1.ConditionOverCapacity)
				return team.Status.Queued != nil && *team.Status.Queued == 3 && team.Status.Load == "2/2" && c != nil && c.Status == "True"
			})

			// The rep works the first two: each accept frees a slot, and the queue drains in order.
			ctx := context.Background()
			for _, id := range ids[:2] {
				for _, kind := range []store.ActivityKind{store.ActivityTouch, store.ActivityAccept} {
					if _, err := c.Apply(ctx, id, api.ActivityRequest{Kind: kind}); err != nil {
						t.Fatal(err)
					}
				}
			}
			e.eventuallyLead(ids[2], "solo", ownedBy("solo"))
			e.eventuallyLead(ids[3], "solo", ownedBy("solo"))
			if _, err := c.Apply(ctx, ids[2], api.ActivityRequest{Kind: store.ActivityTouch}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Apply(ctx, ids[2], api.ActivityRequest{Kind: store.ActivityReject, Reason: "student, not a buyer"}); err != nil {
				t.Fatal(err)
			}
			e.eventuallyLead(ids[4], "solo", ownedBy("solo"))
			e.eventually(p, "CapacityExceeded=False", func() bool {
				c := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionCapacityExceeded)
				return p.Status.Queued == 0 && c != nil && c.Status == "False" && c.Reason == "WithinCapacity"
			})
		})
	}
}

// TestNewLeadBehindLongUnroutableQueue: more unmatched and waiting leads than one page must not
// starve a new lead that a policy can route.
func TestNewLeadBehindLongUnroutableQueue(t *testing.T) {
	e := startEnv(t, "sqlite", testNow)
	mustCreate(t, e.ns, validTeam)
	mustCreate(t, e.ns, strings.Replace(validPolicy, "rules:", "selector: \"lead.source == 'web'\"\n  rules:", 1))
	eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	var batch []store.LeadInput
	for i := 0; i < 1200; i++ {
		batch = append(batch, store.LeadInput{ExternalID: fmt.Sprintf("partner-%d", i), Source: "partner", Score: 80})
	}
	if _, err := e.store.UpsertLeads(context.Background(), batch, "seed"); err != nil {
		t.Fatal(err)
	}
	l, _, err := e.store.UpsertLead(context.Background(), store.LeadInput{ExternalID: "web-1", Source: "web", Score: 80}, "seed")
	if err != nil {
		t.Fatal(err)
	}
	e.eventuallyLead(l.ID, "routed past 1,200 unmatched leads", ownedBy("sdr-01"))
}

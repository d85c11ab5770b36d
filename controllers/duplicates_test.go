package controllers

import (
	"strings"
	"testing"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestDuplicatePolicyModes: the same person posted twice through the API (two tools, two external
// ids) under the sample policy with spec.duplicates Attach (the default), RouteToSameOwner and Route.
func TestDuplicatePolicyModes(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_", "leadpolicy")
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			c := e.apiClient()
			routed := func(l *lead.Lead) bool { return l.Stage == lead.StageRouted && l.Owner != "" }
			pair := func(tag string) (orig, dup *lead.Lead) {
				t.Helper()
				in := store.LeadInput{ExternalID: "form-" + tag, Email: "pat@" + tag + ".example", Domain: tag + ".example", Employees: 10, Score: 80, Source: "web"}
				orig = e.eventuallyLead(createLead(t, c, in).ID, "routed", routed)
				in.ExternalID, in.Source = "webinar-"+tag, "webinar"
				dup = createLead(t, c, in)
				if dup.DuplicateOf != orig.ID {
					t.Fatalf("%s: second post duplicateOf %q, want %s", tag, dup.DuplicateOf, orig.ID)
				}
				if n := len(e.audit(orig.ID, lead.EventDuplicateAttached)); n != 1 {
					t.Fatalf("%s: original has %d duplicate_attached entries, want 1", tag, n)
				}
				return orig, dup
			}
			handled := func(id, want string) {
				t.Helper()
				evs := e.audit(id, lead.EventDuplicateHandled)
				if len(evs) != 1 || !strings.Contains(evs[0].Reason, want) {
					t.Fatalf("duplicate_handled entries %+v, want one saying %q", evs, want)
				}
			}
			setMode := func(mode leadopsv1.DuplicateHandling) {
				t.Helper()
				p := e.policy("inbound")
				update(t, p, func() { p.Spec.Duplicates = mode })
				eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			}

			// Attach (the default): linked, not routed, out of the queue.
			orig, dup := pair("attach")
			got := e.eventuallyLead(dup.ID, "attached", func(l *lead.Lead) bool { return l.Stage == lead.StageDisqualified })
			if got.Reason != lead.DuplicateReason(orig.ID) || got.Owner != "" || got.DuplicateOf != orig.ID {
				t.Fatalf("attached duplicate: reason %q owner %q duplicateOf %q", got.Reason, got.Owner, got.DuplicateOf)
			}
			handled(dup.ID, "attached to it, not routed")

			// RouteToSameOwner: the original's owner gets it.
			setMode(leadopsv1.DuplicatesRouteToSameOwner)
			orig, dup = pair("same-owner")
			got = e.eventuallyLead(dup.ID, "the original's owner "+orig.Owner, ownedBy(orig.Owner))
			handled(dup.ID, "routed to the original's owner "+orig.Owner)
			if r := e.audit(dup.ID, lead.EventRouted); len(r) != 1 || !strings.Contains(r[0].Reason, "spec.duplicates RouteToSameOwner") {
				t.Fatalf("routed entry %+v", r)
			}

			// Route: routed like any lead.
			setMode(leadopsv1.DuplicatesRoute)
			_, dup = pair("route")
			got = e.eventuallyLead(dup.ID, "routed", routed)
			handled(dup.ID, "routed like any lead")
			if got.DuplicateOf == "" {
				t.Fatal("the link was lost")
			}

			// A third post of the first person links to the open original, not to the attached duplicate.
			third := createLead(t, c, store.LeadInput{ExternalID: "third", Email: "pat@attach.example", Score: 80, Source: "web"})
			if first := e.audit(third.DuplicateOf, lead.EventDuplicateAttached); third.DuplicateOf == "" || len(first) != 2 {
				t.Fatalf("third post: duplicateOf %q, original's duplicate_attached entries %d, want 2", third.DuplicateOf, len(first))
			}
		})
	}
}

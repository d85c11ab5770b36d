package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/webhook"
)

// hookReceiver is a breach webhook on 127.0.0.1 that records every body it is sent.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	paths  []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(body))
		h.paths = append(h.paths, r.URL.RequestURI())
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// waitNotices waits until exactly n notices arrived and no more come for a while, and returns them
// decoded.
func (h *hookReceiver) waitNotices(t *testing.T, n int) []map[string]any {
	t.Helper()
	NewWithT(t).Eventually(func() int { return len(h.got()) }).WithTimeout(20 * time.Second).
		WithPolling(20 * time.Millisecond).Should(BeNumerically(">=", n))
	NewWithT(t).Consistently(func() int { return len(h.got()) }).WithTimeout(time.Second).
		WithPolling(50*time.Millisecond).Should(Equal(n), "one notice per breach, no duplicates")
	var out []map[string]any
	for _, b := range h.got() {
		var m map[string]any
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatalf("notice is not JSON: %v\n%s", err, b)
		}
		out = append(out, m)
	}
	return out
}

func webhookSecret(name, url string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s}\nstringData: {url: %q}\n", name, url)
}

var webhookPolicy = strings.Replace(slaPolicy, "escalateToManager: true}",
	"escalateToManager: true, webhookSecretRef: {name: sla-webhook}}", 1)

// personal is a lead full of personal data that must never reach the webhook.
var personal = store.LeadInput{ExternalID: "crm-8841", Email: "jane.roe@roe-widgets.example", Name: "Jane Roe",
	Company: "Roe Widgets GmbH", Domain: "roe-widgets.example", Score: 70}

// TestBreachWebhookNotifiesEachBreach: a policy with a webhook Secret breaches twice (reassigned, then
// escalated); the local webhook receives exactly one notice per breach, naming the lead by id only.
func TestBreachWebhookNotifiesEachBreach(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			hook := newHookReceiver(t)
			delivered := func() float64 { return testutil.ToFloat64(webhook.Deliveries.WithLabelValues(webhook.ResultDelivered)) }
			before := delivered()
			e := startEnv(t, backend, testNow)
			mustCreate(t, e.ns, slaTeam)
			mustCreate(t, e.ns, webhookSecret("sla-webhook", hook.srv.URL+"/hooks/sla?token=s3cr3t"))
			mustCreate(t, e.ns, webhookPolicy)
			eventuallyCondition(t, e.policy("inbound"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			l := createLead(t, e.apiClient(), personal)
			e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))
			if n := len(hook.got()); n != 0 {
				t.Fatalf("%d notices before any breach", n)
			}

			e.clock.Set(testNow.Add(time.Hour))
			e.eventuallyLead(l.ID, "reassigned to rep-b", ownedBy("rep-b"))
			first := hook.waitNotices(t, 1)[0]
			want := map[string]any{
				"type": "leadops.sla.breached", "policy": e.ns + "/inbound", "leadId": l.ID, "sla": string(lead.SLAFirstTouch),
				"due": "2027-01-11T16:00:00Z", "detectedAt": "2027-01-11T16:00:00Z", "overdueSeconds": float64(0),
				"action": "reassigned", "reassignment": float64(1),
			}
			NewWithT(t).Expect(first).To(Equal(want))

			e.clock.Set(testNow.Add(2*time.Hour + 30*time.Second))
			e.eventuallyLead(l.ID, "escalated to sdr-lead", func(l *lead.Lead) bool { return l.Owner == "sdr-lead" })
			second := hook.waitNotices(t, 2)[1]
			want["due"], want["detectedAt"], want["overdueSeconds"], want["action"] =
				"2027-01-11T17:00:00Z", "2027-01-11T17:00:30Z", float64(30), "escalated"
			NewWithT(t).Expect(second).To(Equal(want))

			for _, body := range hook.got() {
				for _, pii := range []string{personal.Email, personal.Name, personal.Company, personal.Domain, personal.ExternalID,
					"rep-a", "rep-b", "sdr-lead", "Jane", "Roe"} {
					if strings.Contains(body, pii) {
						t.Fatalf("notice carries %q: %s", pii, body)
					}
				}
			}
			hook.mu.Lock()
			path := hook.paths[0]
			hook.mu.Unlock()
			if path != "/hooks/sla?token=s3cr3t" {
				t.Fatalf("notice went to %s", path)
			}
			if got := delivered() - before; got != 2 {
				t.Fatalf("leadops_webhook_deliveries_total{result=delivered} grew by %v, want 2", got)
			}
		})
	}
}

// TestBreachWebhookSecretMissing: a policy names a Secret that does not exist; the breach is still
// recorded and escalated, the policy gets a WebhookSecretMissing Warning, and once the Secret exists
// the next breach is notified.
func TestBreachWebhookSecretMissing(t *testing.T) {
	hook := newHookReceiver(t)
	e := startEnv(t, "sqlite", testNow)
	mustCreate(t, e.ns, slaTeam)
	mustCreate(t, e.ns, webhookPolicy)
	p := e.policy("inbound")
	eventuallyCondition(t, p, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	l := createLead(t, e.apiClient(), personal)
	e.eventuallyLead(l.ID, "rep-a", ownedBy("rep-a"))

	e.clock.Set(testNow.Add(time.Hour))
	e.eventuallyLead(l.ID, "reassigned to rep-b", ownedBy("rep-b"))
	if n := len(e.audit(l.ID, "breached")); n != 1 {
		t.Fatalf("%d breach entries, want 1", n)
	}
	NewWithT(t).Eventually(func(g Gomega) {
		evs := &eventsv1.EventList{}
		g.Expect(k8sClient.List(context.Background(), evs, client.InNamespace(e.ns))).To(Succeed())
		found := false
		for _, ev := range evs.Items {
			found = found || (ev.Reason == "WebhookSecretMissing" && ev.Type == "Warning" && ev.Regarding.Name == "inbound" &&
				strings.Contains(ev.Note, "Secret sla-webhook named by spec.sla.onBreach.webhookSecretRef does not exist"))
		}
		g.Expect(found).To(BeTrue())
	}).WithTimeout(10 * time.Second).Should(Succeed())
	e.eventually(p, "still Ready", func() bool {
		r := condOf(p, leadopsv1.ConditionReady)
		return r != nil && r.Status == "True"
	})
	if n := len(hook.got()); n != 0 {
		t.Fatalf("%d notices without a Secret", n)
	}

	// The Secret is read afresh on each breach: create it, and the next breach is notified.
	mustCreate(t, e.ns, webhookSecret("sla-webhook", hook.srv.URL))
	e.clock.Set(testNow.Add(2 * time.Hour))
	e.eventuallyLead(l.ID, "escalated to sdr-lead", func(l *lead.Lead) bool { return l.Owner == "sdr-lead" })
	got := hook.waitNotices(t, 1)[0]
	if got["leadId"] != l.ID || got["action"] != "escalated" {
		t.Fatalf("notice %v", got)
	}
}

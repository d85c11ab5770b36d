package controllers

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/api"
	apiclient "github.com/leadops/leadops/internal/api/client"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// apiClient serves the lead store's HTTP API on 127.0.0.1 for this test and returns a client.
func (e *testEnv) apiClient() *apiclient.Client {
	e.t.Helper()
	tokens := filepath.Join(e.t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("marketing-tool:s3cret-token\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	srv, err := api.NewServer(Instrument(e.store), api.Options{TokenFile: tokens, Clock: e.clk.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	e.t.Cleanup(hs.Close)
	return &apiclient.Client{BaseURL: hs.URL, Token: "s3cret-token"}
}

// applySamples creates the objects of config/samples whose file name contains one of parts.
func (e *testEnv) applySamples(parts ...string) {
	e.t.Helper()
	files, _ := filepath.Glob(filepath.Join(testRoot, "config", "samples", "leadops_*.yaml"))
	for _, f := range files {
		for _, p := range parts {
			if strings.Contains(filepath.Base(f), p) {
				data, err := os.ReadFile(f)
				if err != nil {
					e.t.Fatal(err)
				}
				mustCreate(e.t, e.ns, string(data))
			}
		}
	}
}

// createLead creates a lead through the HTTP API, as a marketing tool would.
func createLead(t testing.TB, c *apiclient.Client, in store.LeadInput) *lead.Lead {
	t.Helper()
	l, _, err := c.UpsertLead(context.Background(), in)
	if err != nil {
		t.Fatalf("creating lead %s through the API: %v", in.ExternalID, err)
	}
	return l
}

// eventuallyLead waits until the stored lead satisfies ok, and returns it.
func (e *testEnv) eventuallyLead(id string, what string, ok func(*lead.Lead) bool) *lead.Lead {
	e.t.Helper()
	var got *lead.Lead
	NewWithT(e.t).Eventually(func(g Gomega) {
		l, err := e.store.GetLead(context.Background(), id)
		g.Expect(err).NotTo(HaveOccurred())
		got = l
		g.Expect(ok(l)).To(BeTrue(), "lead %s: want %s; stage %s owner %q team %q policy %q reason %q", id, what, l.Stage, l.Owner, l.Team, l.Policy, l.Reason)
	}).WithTimeout(20 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
	return got
}

func ownedBy(owner string) func(*lead.Lead) bool {
	return func(l *lead.Lead) bool { return l.Stage == lead.StageRouted && l.Owner == owner }
}

// audit returns the lead's audit events of one type.
func (e *testEnv) audit(id, typ string) []store.AuditEvent {
	e.t.Helper()
	evs, err := e.store.Audit(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func (e *testEnv) policy(name string) *leadopsv1.LeadPolicy {
	p := &leadopsv1.LeadPolicy{}
	p.Namespace, p.Name = e.ns, name
	return p
}

func (e *testEnv) team(name string) *leadopsv1.Team {
	tm := &leadopsv1.Team{}
	tm.Namespace, tm.Name = e.ns, name
	return tm
}

// eventually waits for a condition on a freshly read object.
func (e *testEnv) eventually(obj client.Object, what string, ok func() bool) {
	e.t.Helper()
	NewWithT(e.t).Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		g.Expect(ok()).To(BeTrue(), "%s: want %s; status %+v", obj.GetName(), what, statusOf(obj))
	}).WithTimeout(20 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
}

// update re-reads obj, applies mutate and writes it back, retrying on conflicts.
func update(t testing.TB, obj client.Object, mutate func()) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate()
		return k8sClient.Update(context.Background(), obj)
	}).WithTimeout(10 * time.Second).Should(Succeed())
}

func statusOf(obj client.Object) any {
	switch o := obj.(type) {
	case *leadopsv1.LeadPolicy:
		return o.Status
	case *leadopsv1.Team:
		return o.Status
	case *leadopsv1.TeamGoal:
		return o.Status
	case *leadopsv1.LeadExperiment:
		return o.Status
	}
	return nil
}

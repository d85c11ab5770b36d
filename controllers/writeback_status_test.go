package controllers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/crm/writeback"
	"github.com/leadops/leadops/internal/store"
)

// The condition's reasons are the verdicts' reasons.
func TestWriteBackReasonsMatchTheAPI(t *testing.T) {
	for got, want := range map[string]string{
		writeback.ReasonHealthy: leadopsv1.ReasonWriteBackHealthy,
		writeback.ReasonFailing: leadopsv1.ReasonWriteBackFailing,
		writeback.ReasonLagging: leadopsv1.ReasonWriteBackLagging,
	} {
		if got != want {
			t.Errorf("writeback reason %q, API reason %q", got, want)
		}
	}
}

func TestReconcileWriteBackLeavesReadyAlone(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	reg := writeback.NewRegistry()
	r := &LeadPolicyReconciler{Clock: clock.NewFake(now), WriteBack: reg}
	p := &leadopsv1.LeadPolicy{}
	p.Namespace, p.Name, p.Generation = "sales", "inbound", 3
	setReady(&p.Status.Conditions, 3, leadopsv1.ReasonReconciled, "ok")

	r.reconcileWriteBack(p)
	if c := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionCRMWriteBack); c != nil {
		t.Fatalf("CRMWriteBack on a policy no worker reported: %+v", c)
	}
	reg.Written("sales/inbound", "hubspot-main", 4)
	r.reconcileWriteBack(p)
	c := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionCRMWriteBack)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != leadopsv1.ReasonWriteBackHealthy || c.ObservedGeneration != 3 {
		t.Fatalf("CRMWriteBack = %+v, want True/WriteBackHealthy", c)
	}
	reg.Failed("sales/inbound", "hubspot-main", "INVALID_OWNER_ID", now)
	r.reconcileWriteBack(p)
	c = meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionCRMWriteBack)
	if c.Status != metav1.ConditionFalse || c.Reason != leadopsv1.ReasonWriteBackFailing || !strings.Contains(c.Message, "INVALID_OWNER_ID") {
		t.Errorf("CRMWriteBack = %+v, want False/WriteBackFailing naming the code", c)
	}
	if ready := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionReady); ready.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v; write-back must not change it", ready)
	}
}

func TestWriteBackNudgerOffersChangedVerdicts(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	reg := writeback.NewRegistry()
	ch := make(chan event.GenericEvent, 8)
	n := &writeBackNudger{Health: reg, Policies: ch, Clock: clk, Interval: time.Hour}
	drain := func() []string {
		var got []string
		for {
			select {
			case e := <-ch:
				got = append(got, e.Object.GetNamespace()+"/"+e.Object.GetName())
			default:
				return got
			}
		}
	}
	reg.Pending("sales/inbound", "hs", clk.Now())
	n.nudgeChanged()
	if got := drain(); len(got) != 1 || got[0] != "sales/inbound" {
		t.Fatalf("first report offered %v, want sales/inbound", got)
	}
	n.nudgeChanged()
	if got := drain(); len(got) != 0 {
		t.Errorf("an unchanged verdict offered %v again", got)
	}
	clk.Step(6 * time.Minute) // the pending change is now past the lag threshold
	n.nudgeChanged()
	if got := drain(); len(got) != 1 {
		t.Errorf("lagging offered %v, want the policy once", got)
	}
}

// fakeHubSpot accepts contacts batch updates and records the owner of each contact; with refuse set
// it refuses every batch as HubSpot refuses an invalid owner id.
type fakeHubSpot struct {
	mu     sync.Mutex
	owners map[string]string
	refuse bool
}

func (f *fakeHubSpot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Inputs []struct {
			ID         string            `json:"id"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	if r.URL.Path != "/crm/v3/objects/contacts/batch/update" || json.NewDecoder(r.Body).Decode(&body) != nil {
		http.Error(w, `{"category":"OBJECT_NOT_FOUND"}`, http.StatusNotFound)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"error","category":"VALIDATION_ERROR"}`))
		return
	}
	for _, in := range body.Inputs {
		f.owners[in.ID] = in.Properties["hubspot_owner_id"]
	}
	_, _ = w.Write([]byte(`{"status":"COMPLETE","results":[]}`))
}

func (f *fakeHubSpot) owner(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.owners[id]
}

// TestCRMWriteBackEndToEnd routes HubSpot leads with the real router and a write-back worker in the
// manager: the member's crmUser reaches HubSpot, the policy shows CRMWriteBack, and a CRM that
// refuses the owner turns it False without touching Ready.
func TestCRMWriteBackEndToEnd(t *testing.T) {
	clk := clock.NewFake(testNow)
	st, _ := openStore(t, "sqlite", clk)
	ns := newNamespace(t)
	hs := &fakeHubSpot{owners: map[string]string{}}
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, crm.SecretToken), []byte("pat-test"), 0o600); err != nil {
		t.Fatal(err)
	}
	conn := crm.Connection{Name: "hubspot-main", CRM: crm.HubSpot, BaseURL: srv.URL, CredentialsDir: creds,
		WriteBack: &crm.WriteBackConfig{Enabled: true, RatePerSecond: 50}}

	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme: testScheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache:      cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reg := writeback.NewRegistry()
	backend := Instrument(st)
	if err := Setup(ctx, mgr, clk, backend, WithWriteBackHealth(reg)); err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := mgr.Add(&writeback.Worker{Conn: conn, CRM: writeback.NewCRM(conn, writeback.ClientOptions{Backoff: time.Millisecond}),
		Feed: backend, Leads: backend, Roster: WriteBackRoster(mgr.GetClient()), Health: reg, Clock: clk,
		Log: logr.Discard(), Poll: 200 * time.Millisecond, RetryWait: time.Millisecond, MaxRetryWait: 10 * time.Millisecond}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	mustCreate(t, ns, `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sales}
spec:
  function: Sales
  timezone: America/New_York
  members: [{name: ana, capacity: 10, crmUser: "7001"}]
`)
	mustCreate(t, ns, `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: inbound}
spec:
  rules: [{name: all, teamRef: {name: sales}, strategy: RoundRobin}]
`)
	p := &leadopsv1.LeadPolicy{}
	p.Namespace, p.Name = ns, "inbound"
	eventuallyCondition(t, p, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)

	if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: "hubspot:contact:501", Score: 50}, "test"); err != nil {
		t.Fatal(err)
	}
	NewWithT(t).Eventually(func() string { return hs.owner("501") }).WithTimeout(20*time.Second).Should(Equal("7001"),
		"ana's crmUser should reach HubSpot as hubspot_owner_id")
	c := eventuallyCondition(t, p, leadopsv1.ConditionCRMWriteBack, metav1.ConditionTrue, leadopsv1.ReasonWriteBackHealthy)
	if !strings.Contains(c.Message, "hubspot-main") {
		t.Errorf("CRMWriteBack message %q does not name the connection", c.Message)
	}

	hs.mu.Lock()
	hs.refuse = true
	hs.mu.Unlock()
	if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: "hubspot:contact:502", Score: 50}, "test"); err != nil {
		t.Fatal(err)
	}
	c = eventuallyCondition(t, p, leadopsv1.ConditionCRMWriteBack, metav1.ConditionFalse, leadopsv1.ReasonWriteBackFailing)
	if !strings.Contains(c.Message, "VALIDATION_ERROR") {
		t.Errorf("CRMWriteBack message %q does not carry HubSpot's code", c.Message)
	}
	eventuallyCondition(t, p, leadopsv1.ConditionReady, metav1.ConditionTrue, leadopsv1.ReasonReconciled)
}

// TestWriteBackDocsTeamIsValid applies docs/crm-writeback.md's Team example to the API server: the
// crmUser markers accept an id and an email, and an invalid crmUser is refused. WriteBackRoster then
// reads each member's crmUser from it.
func TestWriteBackDocsTeamIsValid(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testRoot, "docs", "crm-writeback.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "```yaml\napiVersion: leadops.io/v1alpha1\nkind: Team\n")
	if start < 0 {
		t.Fatal("docs/crm-writeback.md has no Team example")
	}
	doc = doc[start+len("```yaml\n"):]
	doc = doc[:strings.Index(doc, "```")]
	ns := newNamespace(t)
	mustCreate(t, ns, doc)
	team := decode(t, ns, doc).GetName()
	roster := WriteBackRoster(k8sClient)
	for member, want := range map[string]string{"ana": "75043210", "bo": "bo.meyer@example.com", "0055e000003AbCdAAK": ""} {
		got, ok := roster(ns+"/"+team, member)
		if got != want || ok != (want != "") {
			t.Errorf("roster(%s) = %q, %v; want %q", member, got, ok, want)
		}
	}
	if _, ok := roster(ns+"/nope", "ana"); ok {
		t.Error("roster found a member of a team that does not exist")
	}
	err = create(t, ns, `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: bad}
spec:
  function: Sales
  timezone: Europe/Berlin
  members: [{name: cy, capacity: 1, crmUser: "cy <cy@example.com>"}]
`)
	if err == nil || !strings.Contains(err.Error(), "crmUser") {
		t.Errorf("a crmUser with spaces and brackets was accepted (err %v)", err)
	}
}

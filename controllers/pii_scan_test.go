package controllers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/testutil/syncbuf"
)

// piiPeople are the scenario's people. Their details are distinctive enough that any appearance
// outside the store and the API's authorized answers is a leak, not a coincidence.
var piiPeople = []store.LeadInput{
	{ExternalID: "pii-1", Email: "zelda.quibbleworth@quibble-pii.example", Name: "Zelda Quibbleworth", Phone: "+1 212 555 0187",
		Company: "Quibbleworth Fabrication", Domain: "quibble-pii.example", Employees: 5000, Score: 80, Source: "web"},
	{ExternalID: "pii-2", Email: "orlando.vexhammer@vexhammer-pii.example", Name: "Orlando Vexhammer", Phone: "+44 20 7946 0321",
		Company: "Vexhammer Ltd", Domain: "vexhammer-pii.example", Employees: 12, Score: 65, Source: "web"},
	{ExternalID: "pii-3", Email: "marisol.drumgoole@drumgoole-pii.example", Name: "Marisol Drumgoole", Phone: "+49 30 901820 77",
		Company: "Drumgoole GmbH", Domain: "drumgoole-pii.example", Employees: 8, Score: 20, Source: "web"},
}

// piiNeedles are the strings that must not leak: each email, its local part, each name and its
// surname, and each phone as given, in E.164 and as bare digits.
func piiNeedles() []string {
	var out []string
	for _, p := range piiPeople {
		local, _, _ := strings.Cut(p.Email, "@")
		names := strings.Fields(p.Name)
		e164 := "+" + digits(p.Phone)
		out = append(out, p.Email, local, p.Name, names[len(names)-1], p.Phone, e164, digits(p.Phone))
	}
	return out
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// TestNoPersonalDataOutsideTheStore runs a routing scenario with people whose details are distinctive
// (leads through the API with scoped tokens, routing by the sample policy, a rep's activities, refused
// and invalid requests) and then scans what leaves the store other than the API's authorized answers:
// the manager's and the API's logs at every verbosity, the Kubernetes Events, the status (and spec) of
// every leadops object, the Prometheus metrics with their labels, every API error body, and the
// bodies an event subscription without personalData receives. None may contain an email, a name or a
// phone number of the scenario. (The LeadPolicy breach webhook's body is scanned by the breach
// webhook tests.)
func TestNoPersonalDataOutsideTheStore(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			clk := clock.NewFake(testNow)
			st, _ := openStore(t, backend, clk)
			ns := newNamespace(t)
			startManagerLogging(t, ns, st, clk, logs.Logger(10))
			mustCreateSamples(t, ns, "team_", "leadpolicy")

			// An event subscription (without personalData) delivers every lead event to this receiver.
			var hookMu sync.Mutex
			var hookBodies strings.Builder
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				hookMu.Lock()
				hookBodies.Write(b)
				hookBodies.WriteByte('\n')
				hookMu.Unlock()
			}))
			t.Cleanup(hook.Close)
			hookURL, _ := url.Parse(hook.URL)
			secret, err := events.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("pii-scan-signing-secret-32-bytes")))
			if err != nil {
				t.Fatal(err)
			}
			sub := events.Subscription{Name: "crm", Source: "/leadops/pii-scan", URL: hookURL, Secrets: []events.Secret{secret}}
			dctx, stopDelivery := context.WithCancel(context.Background())
			deliveryDone := make(chan struct{})
			go func() {
				defer close(deliveryDone)
				_ = events.NewDeliverer(sub, st, st, events.Options{Log: logs.Logger(10).WithName("events"),
					Poll: 50 * time.Millisecond, Metrics: events.NewMetrics()}).Run(dctx)
			}()
			t.Cleanup(func() { stopDelivery(); <-deliveryDone })

			tokens := filepath.Join(t.TempDir(), "tokens")
			var lines []string
			lines = append(lines, "forms:forms-token-0123456789abcdef scopes=leads:write")
			for _, m := range []string{"ae-01", "ae-02", "ae-03", "sdr-01", "sdr-02", "sdr-03"} {
				lines = append(lines, fmt.Sprintf("%s:%s-token-0123456789abcdef scopes=leads:read,activities:own member=%s", m, m, m))
			}
			if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			srv, err := api.NewServer(Instrument(st), api.Options{TokenFile: tokens, Clock: clk.Now, Logger: logs.Logger(10).WithName("api")})
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)

			var errorBodies strings.Builder
			call := func(method, path, token string, body any) (int, []byte) {
				t.Helper()
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest(method, hs.URL+path, bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				out, _ := io.ReadAll(resp.Body)
				if resp.StatusCode >= 300 {
					errorBodies.Write(out)
				}
				return resp.StatusCode, out
			}

			var ids []string
			for _, p := range piiPeople {
				status, body := call("POST", "/v1/leads", "forms-token-0123456789abcdef", p)
				var l lead.Lead
				if status != 201 || json.Unmarshal(body, &l) != nil {
					t.Fatalf("creating %s: %d %s", p.ExternalID, status, body)
				}
				ids = append(ids, l.ID)
			}
			e := &testEnv{t: t, ns: ns, store: st, clock: clk, clk: clk}
			owned := e.eventuallyLead(ids[0], "routed", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted })
			e.eventuallyLead(ids[1], "routed", func(l *lead.Lead) bool { return l.Stage == lead.StageRouted })
			e.eventuallyLead(ids[2], "disqualified", func(l *lead.Lead) bool { return l.Stage == lead.StageDisqualified })

			// The owner works the lead; another rep and the form's token are refused; bad input is refused.
			ownerToken := owned.Owner + "-token-0123456789abcdef"
			other := "sdr-03-token-0123456789abcdef"
			if owned.Owner == "sdr-03" {
				other = "sdr-01-token-0123456789abcdef"
			}
			for _, step := range []struct {
				method, path, token string
				body                any
				status              int
			}{
				{"POST", "/v1/leads/" + ids[0] + "/activities", ownerToken, map[string]string{"kind": "touch"}, 200},
				{"POST", "/v1/leads/" + ids[0] + "/activities", other, map[string]string{"kind": "reject", "reason": "not mine"}, 403},
				{"GET", "/v1/leads/" + ids[0], "forms-token-0123456789abcdef", nil, 403},
				{"POST", "/v1/leads", ownerToken, piiPeople[0], 403},
				{"POST", "/v1/leads", "forms-token-0123456789abcdef", map[string]any{"externalId": "pii-bad",
					"email": "zelda.quibbleworth@@quibble-pii.example", "name": "Zelda Quibbleworth", "phone": "call +1 212 555 0187 ext"}, 422},
				{"POST", "/v1/leads/" + ids[0] + "/activities", ownerToken, map[string]string{"kind": "win"}, 422},
				{"GET", "/v1/leads/by-external-id/zelda.quibbleworth@quibble-pii.example", ownerToken, nil, 404},
			} {
				if status, body := call(step.method, step.path, step.token, step.body); status != step.status {
					t.Errorf("%s %s: %d %s, want %d", step.method, step.path, status, body, step.status)
				}
			}
			// The store does hold the details: the needles are the right strings.
			if _, body := call("GET", "/v1/leads/"+ids[0], ownerToken, nil); !bytes.Contains(body, []byte(piiPeople[0].Email)) {
				t.Fatalf("the lead as its owner reads it lacks its email: %s", body)
			}
			p := e.policy("inbound")
			e.eventually(p, "the policy counts the routed leads", func() bool { return p.Status.Routed >= 2 })

			waitUntil(t, "the routed events delivered to the subscription", func() bool {
				hookMu.Lock()
				defer hookMu.Unlock()
				return strings.Count(hookBodies.String(), `"type":"`) >= 2*len(piiPeople) &&
					strings.Contains(hookBodies.String(), ids[0]) && strings.Contains(hookBodies.String(), "routed")
			})
			hookMu.Lock()
			delivered := hookBodies.String()
			hookMu.Unlock()
			sources := map[string]string{
				"event subscription bodies": delivered,
				"logs":                      logs.String(),
				"Events":                    dump(t, ns, &corev1.EventList{}, &eventsv1.EventList{}),
				"leadops objects":           dump(t, ns, &leadopsv1.LeadPolicyList{}, &leadopsv1.TeamList{}, &leadopsv1.TeamGoalList{}, &leadopsv1.LeadExperimentList{}),
				"metrics":                   gatherText(t, metrics.Registry, prometheus.DefaultGatherer),
				"API error bodies":          errorBodies.String(),
			}
			for what, text := range sources {
				if len(text) < 100 {
					t.Errorf("%s: only %d bytes captured; the scan would prove nothing", what, len(text))
				}
				lower := strings.ToLower(text)
				for _, needle := range piiNeedles() {
					if i := strings.Index(lower, strings.ToLower(needle)); i >= 0 {
						t.Errorf("%s contain %q: …%s…", what, needle, text[max(0, i-120):min(len(text), i+len(needle)+40)])
					}
				}
			}
			if !strings.Contains(sources["logs"], "routed") && !strings.Contains(sources["logs"], "Reconcil") {
				t.Errorf("the captured log shows no routing; is the manager's logger captured?")
			}
			t.Logf("scanned: logs %d B, Events %d B, objects %d B, metrics %d B, error bodies %d B, event subscription bodies %d B",
				len(sources["logs"]), len(sources["Events"]), len(sources["leadops objects"]), len(sources["metrics"]),
				len(sources["API error bodies"]), len(delivered))
		})
	}
}

func mustCreateSamples(t *testing.T, ns string, parts ...string) {
	t.Helper()
	e := &testEnv{t: t, ns: ns}
	e.applySamples(parts...)
}

// dump renders every object of the lists in ns as JSON.
func dump(t *testing.T, ns string, lists ...client.ObjectList) string {
	t.Helper()
	var b strings.Builder
	for _, l := range lists {
		if err := k8sClient.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(l)
		b.Write(j)
	}
	return b.String()
}

// gatherText renders the registries in the Prometheus text format: names, labels and values.
func gatherText(t *testing.T, gs ...prometheus.Gatherer) string {
	t.Helper()
	var b bytes.Buffer
	for _, g := range gs {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

// waitUntil polls cond every 20ms for up to 20s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

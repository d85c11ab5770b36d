package api_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/crm/hubspot"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const (
	crmClientSecret = "fixture-client-secret"
	crmToken        = "pat-fixture-token"
	crmOrgID        = "00D5e000000ORGA"
	hubspotPath     = "/v1/crm/hubspot-main/hubspot/webhook"
	hubspotPublic   = "https://leadops.example.com" + hubspotPath
	salesforcePath  = "/v1/crm/sf-prod/salesforce/outbound-message"
)

// fakeHubSpotAPI serves the contacts batch read from a map that tests change between deliveries.
type fakeHubSpotAPI struct {
	mu       sync.Mutex
	contacts map[string]map[string]string
	updated  map[string]time.Time
	reads    int
}

func (f *fakeHubSpotAPI) set(id string, at time.Time, props map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contacts[id], f.updated[id] = props, at
}

func (f *fakeHubSpotAPI) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func (f *fakeHubSpotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/crm/v3/objects/contacts/batch/read" || r.Header.Get("Authorization") != "Bearer "+crmToken {
		http.Error(w, `{"status":"error"}`, http.StatusUnauthorized)
		return
	}
	var req struct {
		Properties []string            `json:"properties"`
		Inputs     []map[string]string `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var results []map[string]any
	for _, in := range req.Inputs {
		c, ok := f.contacts[in["id"]]
		if !ok {
			continue
		}
		props := map[string]any{}
		for _, p := range req.Properties {
			if v, ok := c[p]; ok {
				props[p] = v
			} else {
				props[p] = nil
			}
		}
		results = append(results, map[string]any{"id": in["id"], "properties": props,
			"updatedAt": f.updated[in["id"]].Format(time.RFC3339Nano), "archived": false})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "COMPLETE", "results": results})
}

type crmEnv struct {
	*testServer
	hs     *fakeHubSpotAPI
	echoes *crm.EchoCache
}

// startCRMServer serves the API with a HubSpot and a Salesforce connection over a real SQLite store.
func startCRMServer(t *testing.T) *crmEnv {
	t.Helper()
	hs := &fakeHubSpotAPI{contacts: map[string]map[string]string{}, updated: map[string]time.Time{}}
	hsSrv := httptest.NewServer(hs)
	t.Cleanup(hsSrv.Close)
	dir := t.TempDir()
	for name, v := range map[string]string{crm.SecretClientSecret: crmClientSecret, crm.SecretToken: crmToken, crm.SecretOrganizationID: crmOrgID} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgYAML := fmt.Sprintf(`
connections:
- name: hubspot-main
  crm: HubSpot
  baseURL: %s
  credentialsDir: %s
  inbound:
    publicURL: %s
    fieldMapping: {email: email, firstname: firstName, lastname: lastName, company: company, country: country}
    activityMapping:
    - {field: hs_lead_status, value: CONNECTED, activity: touch}
    - {field: hs_lead_status, value: OPEN_DEAL, activity: accept}
    - {field: hs_lead_status, value: UNQUALIFIED, activity: reject}
- name: sf-prod
  crm: Salesforce
  credentialsDir: %s
  inbound:
    fieldMapping: {Email: email, FirstName: firstName, LastName: lastName, Company: company, Country: country}
    activityMapping:
    - {field: Status, value: Working - Contacted, activity: touch}
    - {call: true, activity: touch}
`, hsSrv.URL, dir, hubspotPublic, dir)
	cfg, err := crm.Parse([]byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	echoes := crm.NewEchoCache(0, 0, func() time.Time { return testNow })
	st := openDSN(t, "sqlite://"+filepath.Join(t.TempDir(), "leads.db"))
	ts := startServer(t, st, func(o *api.Options) {
		o.CRM = &api.CRMOptions{Config: func() *crm.Config { return cfg }, Echoes: echoes, HTTPClient: hsSrv.Client()}
	})
	return &crmEnv{testServer: ts, hs: hs, echoes: echoes}
}

func crmFixture(t *testing.T, crmName, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "crm", crmName, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postHubSpot sends body signed as HubSpot would at the given time (v3), or with the signature
// altered by tamper.
func (e *crmEnv) postHubSpot(t *testing.T, body []byte, at time.Time, tamper func(http.Header)) (int, crm.Result, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+hubspotPath, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hubspot.HeaderRequestTimestamp, ts)
	req.Header.Set(hubspot.HeaderSignatureV3, hubspot.SignV3(crmClientSecret, http.MethodPost, hubspotPublic, body, ts))
	if tamper != nil {
		tamper(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	var res crm.Result
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, res, string(raw)
}

func TestCRMHubSpotSignatureRefusedNothingStored(t *testing.T) {
	e := startCRMServer(t)
	e.hs.set("101", testNow.Add(-time.Minute), map[string]string{"email": "ada@example.com", "firstname": "Ada"})
	body := crmFixture(t, "hubspot", "webhook_batch.json")
	before := snapshot(t, e.store)
	for name, c := range map[string]struct {
		at     time.Time
		tamper func(http.Header)
	}{
		"wrong secret": {testNow, func(h http.Header) {
			h.Set(hubspot.HeaderSignatureV3, hubspot.SignV3("other-secret", "POST", hubspotPublic, body, h.Get(hubspot.HeaderRequestTimestamp)))
		}},
		"stale (6 minutes)": {testNow.Add(-6 * time.Minute), nil},
		"no signature":      {testNow, func(h http.Header) { h.Del(hubspot.HeaderSignatureV3) }},
		"a bearer token instead of a signature": {testNow, func(h http.Header) {
			h.Del(hubspot.HeaderSignatureV3)
			h.Set("Authorization", "Bearer "+tokenHubspot)
		}},
	} {
		status, _, msg := e.postHubSpot(t, body, c.at, c.tamper)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: status %d (%s), want 401", name, status, msg)
		}
	}
	if after := snapshot(t, e.store); after != before {
		t.Error("a refused delivery changed the store")
	}
	if n := e.hs.readCount(); n != 0 {
		t.Errorf("%d HubSpot reads for refused deliveries", n)
	}
	// Unknown connection: 404 without a token.
	if r := e.do(t, http.MethodPost, "/v1/crm/nope/hubspot/webhook", "application/json", "", body); r.status != http.StatusNotFound {
		t.Errorf("unknown connection: %d", r.status)
	}
	// The other endpoints still need their token.
	if r := e.do(t, http.MethodGet, "/v1/leads", "", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("GET /v1/leads without a token: %d", r.status)
	}
}

func TestCRMHubSpotDeliveriesIdempotentOrderedEchoesActivities(t *testing.T) {
	e := startCRMServer(t)
	ctx := context.Background()
	e.hs.set("101", testNow.Add(-3*time.Minute), map[string]string{"email": "Ada@Example.com", "firstname": "Ada", "lastname": "Lovelace", "country": "United Kingdom", "hs_lead_status": "NEW"})
	e.hs.set("102", testNow.Add(-3*time.Minute), map[string]string{"email": "grace@example.org", "firstname": "Grace"})
	batch := crmFixture(t, "hubspot", "webhook_batch.json")

	status, res, msg := e.postHubSpot(t, batch, testNow, nil)
	if status != http.StatusOK || res.Records != 2 || res.Stored != 2 {
		t.Fatalf("first delivery: %d %s", status, msg)
	}
	l, err := e.store.GetLeadByExternalID(ctx, "hubspot:contact:101")
	if err != nil {
		t.Fatal(err)
	}
	if l.Email != "ada@example.com" || l.Country != "GB" || l.Name != "Ada Lovelace" {
		t.Errorf("lead not normalized as the API does: %+v", l)
	}

	// The same delivery again (HubSpot retries): nothing changes.
	before := snapshot(t, e.store)
	if status, res, msg = e.postHubSpot(t, batch, testNow, nil); status != http.StatusOK || res.Unchanged != 2 {
		t.Fatalf("duplicate: %d %s", status, msg)
	}
	if snapshot(t, e.store) != before {
		t.Error("a duplicate delivery changed the store")
	}

	// The contact changes in HubSpot; then the OLD delivery arrives late: the read gives current values.
	e.hs.set("101", testNow.Add(-time.Minute), map[string]string{"email": "ada@example.com", "firstname": "Ada", "lastname": "King", "country": "United Kingdom", "hs_lead_status": "NEW"})
	if status, res, msg = e.postHubSpot(t, batch, testNow, nil); status != http.StatusOK || res.Stored != 1 || res.Unchanged != 1 {
		t.Fatalf("late old delivery: %d %s", status, msg)
	}
	if l, _ = e.store.GetLeadByExternalID(ctx, "hubspot:contact:101"); l.Name != "Ada King" {
		t.Errorf("name %q, want the current value", l.Name)
	}

	// leadops wrote owner 77001 to contact 101 (write-back): its propertyChange is ignored, unread.
	e.echoes.Wrote("hubspot:contact:101", "77001")
	reads := e.hs.readCount()
	before = snapshot(t, e.store)
	if status, res, msg = e.postHubSpot(t, crmFixture(t, "hubspot", "webhook_owner_echo.json"), testNow, nil); status != http.StatusOK || res.Echoes != 1 {
		t.Fatalf("echo: %d %s", status, msg)
	}
	if e.hs.readCount() != reads || snapshot(t, e.store) != before {
		t.Error("the echo of leadops' own write was read or stored")
	}

	// Status CONNECTED on a routed lead: a touch by its owner, once however often it is delivered.
	routeLead(t, e.store, l.ID, "alice", "sales/emea")
	e.hs.set("101", testNow, map[string]string{"email": "ada@example.com", "firstname": "Ada", "lastname": "King", "country": "United Kingdom", "hs_lead_status": "CONNECTED"})
	statusBody := crmFixture(t, "hubspot", "webhook_status.json")
	for range 2 {
		if status, _, msg = e.postHubSpot(t, statusBody, testNow, nil); status != http.StatusOK {
			t.Fatalf("status: %d %s", status, msg)
		}
	}
	l, _ = e.store.GetLead(ctx, l.ID)
	if l.Stage != lead.StageTouched {
		t.Errorf("stage %s, want touched", l.Stage)
	}
	if n := countEvents(t, e.store, l.ID, lead.EventTouched); n != 1 {
		t.Errorf("%d touches, want 1", n)
	}
	e.hs.set("101", testNow, map[string]string{"email": "ada@example.com", "firstname": "Ada", "lastname": "King", "country": "United Kingdom", "hs_lead_status": "UNQUALIFIED"})
	if status, res, msg = e.postHubSpot(t, statusBody, testNow, nil); status != http.StatusOK || res.Activities != 1 {
		t.Fatalf("reject: %d %s", status, msg)
	}
	if l, _ = e.store.GetLead(ctx, l.ID); l.Stage != lead.StageRejected {
		t.Errorf("stage %s, want rejected", l.Stage)
	}
	for _, pii := range []string{"ada@example.com", "Lovelace", "King", "grace@"} {
		if strings.Contains(e.logs.String(), pii) {
			t.Errorf("the log holds personal data %q", pii)
		}
	}
}

func countEvents(t *testing.T, st store.Backend, id, typ string) int {
	t.Helper()
	audit, err := st.Audit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range audit {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// soapAnswer is an Ack or a fault.
type soapAnswer struct {
	Body struct {
		Resp *struct {
			Ack bool `xml:"Ack"`
		} `xml:"http://soap.sforce.com/2005/09/outbound notificationsResponse"`
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

func (e *crmEnv) postSalesforce(t *testing.T, body []byte) (int, soapAnswer) {
	t.Helper()
	resp, err := http.Post(e.url+salesforcePath, "text/xml; charset=utf-8", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a soapAnswer
	if err := xml.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("answer is not SOAP: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("content type %q", ct)
	}
	return resp.StatusCode, a
}

func acked(a soapAnswer) bool { return a.Body.Resp != nil && a.Body.Resp.Ack }

func TestCRMSalesforceRefusals(t *testing.T) {
	e := startCRMServer(t)
	before := snapshot(t, e.store)
	status, a := e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_other_org.xml"))
	if status != http.StatusUnauthorized || acked(a) || a.Body.Fault == nil || a.Body.Fault.Code != "soapenv:Client" {
		t.Errorf("other organization: %d %+v", status, a)
	}
	status, a = e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_malformed.xml"))
	if status != http.StatusBadRequest || acked(a) || a.Body.Fault == nil {
		t.Errorf("malformed: %d %+v", status, a)
	}
	big := make([]byte, 65<<10)
	if status, a = e.postSalesforce(t, big); status != http.StatusRequestEntityTooLarge || a.Body.Fault == nil {
		t.Errorf("too large: %d", status)
	}
	if snapshot(t, e.store) != before {
		t.Error("a refused message changed the store")
	}
}

func TestCRMSalesforceBatchOrderAndCalls(t *testing.T) {
	e := startCRMServer(t)
	ctx := context.Background()
	status, a := e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_100_leads.xml"))
	if status != http.StatusOK || !acked(a) {
		t.Fatalf("100 notifications: %d %+v", status, a)
	}
	page, err := e.store.ListLeads(ctx, store.ListFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Leads) != 100 {
		t.Errorf("%d leads stored, want 100", len(page.Leads))
	}
	if _, err := e.store.GetLeadByExternalID(ctx, "salesforce:lead:00Q5e00000B0042AAA"); err != nil {
		t.Errorf("lead 42: %v", err)
	}

	// Newer version first, then the older message (a retry delivered late), then a duplicate.
	if status, a = e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_lead1_newer.xml")); status != http.StatusOK || !acked(a) {
		t.Fatalf("newer: %d", status)
	}
	l, _ := e.store.GetLeadByExternalID(ctx, "salesforce:lead:00Q5e000001LEAD1AA")
	if status, a = e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_leads.xml")); status != http.StatusOK || !acked(a) {
		t.Fatalf("older: %d", status)
	}
	l2, _ := e.store.GetLeadByExternalID(ctx, "salesforce:lead:00Q5e000001LEAD1AA")
	if l2.Name != "Ada King" || l2.Version != l.Version {
		t.Errorf("the older message overwrote the newer: name %q version %d→%d", l2.Name, l.Version, l2.Version)
	}
	if _, err := e.store.GetLeadByExternalID(ctx, "salesforce:lead:00Q5e000001LEAD2AA"); err != nil {
		t.Errorf("the other lead of the older message: %v", err)
	}
	before := snapshot(t, e.store)
	if status, a = e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_leads.xml")); status != http.StatusOK || !acked(a) {
		t.Fatalf("duplicate: %d", status)
	}
	if snapshot(t, e.store) != before {
		t.Error("a duplicate message changed the store")
	}

	// A logged call on a routed lead: a touch by its owner, once.
	routeLead(t, e.store, l.ID, "bob", "sales/emea")
	for range 2 {
		if status, a = e.postSalesforce(t, crmFixture(t, "salesforce", "outbound_call_task.xml")); status != http.StatusOK || !acked(a) {
			t.Fatalf("call: %d", status)
		}
	}
	got, _ := e.store.GetLead(ctx, l.ID)
	if got.Stage != lead.StageTouched || countEvents(t, e.store, l.ID, lead.EventTouched) != 1 {
		t.Errorf("after a logged call: stage %s, %d touches", got.Stage, countEvents(t, e.store, l.ID, lead.EventTouched))
	}
}

package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

const fixtureSecret = "fixture-client-secret"

var fixtureNow = time.UnixMilli(1772443800000) // 2026-03-02T09:30:00Z

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyV3RecordedSignature checks against a signature computed independently (Python's hmac over
// the fixture, with HubSpot's URI decoding applied by hand: %3A signed as ':').
func TestVerifyV3RecordedSignature(t *testing.T) {
	body := readFixture(t, "webhook_batch.json")
	const uri = "https://leadops.example.com/v1/crm/hubspot-main/hubspot/webhook?tag=a%3Ab"
	const recorded = "dayKm3SGMdyc5TuqrrkcBwzSkLfY9sO5yWvPCRvFczE="
	const ts = "1772443800000"
	cases := []struct {
		name            string
		secret, uri, ts string
		sig             string
		body            []byte
		now             time.Time
		wantErr         bool
	}{
		{"recorded", fixtureSecret, uri, ts, recorded, body, fixtureNow, false},
		{"4m59s old", fixtureSecret, uri, ts, recorded, body, fixtureNow.Add(4*time.Minute + 59*time.Second), false},
		{"stale: 5m01s old", fixtureSecret, uri, ts, recorded, body, fixtureNow.Add(5*time.Minute + time.Second), true},
		{"from the future", fixtureSecret, uri, ts, recorded, body, fixtureNow.Add(-6 * time.Minute), true},
		{"other secret", "another-secret", uri, ts, recorded, body, fixtureNow, true},
		{"other URI", fixtureSecret, strings.Replace(uri, "leadops.example.com", "evil.example.com", 1), ts, recorded, body, fixtureNow, true},
		{"body changed", fixtureSecret, uri, ts, recorded, append([]byte(" "), body...), fixtureNow, true},
		{"timestamp changed", fixtureSecret, uri, "1772443800001", recorded, body, fixtureNow, true},
		{"no signature", fixtureSecret, uri, ts, "", body, fixtureNow, true},
		{"no timestamp", fixtureSecret, uri, "", recorded, body, fixtureNow, true},
		{"timestamp not a number", fixtureSecret, uri, "yesterday", recorded, body, fixtureNow, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyV3(tc.secret, "POST", tc.uri, tc.body, tc.ts, tc.sig, tc.now)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, crm.ErrUnauthenticated) {
				t.Errorf("%v does not wrap ErrUnauthenticated", err)
			}
			if err != nil && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestSignedURIDecodesOnlyHubSpotsList(t *testing.T) {
	in := "https://h.example/p%3Ax%2Fy%3Fz%40a%21b%24c%27d%28e%29f%2Ag%2Ch%3Bi?q=%20%26%3D%25"
	want := "https://h.example/p:x/y?z@a!b$c'd(e)f*g,h;i?q=%20%26%3D%25"
	if got := SignedURI(in); got != want {
		t.Errorf("SignedURI\n got %s\nwant %s", got, want)
	}
}

func TestVerifyV2RecordedSignature(t *testing.T) {
	body := readFixture(t, "webhook_batch.json")
	const uri = "https://leadops.example.com/v1/crm/hubspot-main/hubspot/webhook?tag=a:b"
	const recorded = "dd2704b70ad3a99654cd64e12f1463aba45029efe52455885ea778d961abedf6"
	if err := VerifyV2(fixtureSecret, "POST", uri, body, recorded); err != nil {
		t.Fatal(err)
	}
	if err := VerifyV2(fixtureSecret, "POST", uri, body[1:], recorded); !errors.Is(err, crm.ErrUnauthenticated) {
		t.Fatalf("changed body: %v", err)
	}
}

func TestParseDelivery(t *testing.T) {
	cases := []struct {
		fixture string
		wantIDs []string
	}{
		{"webhook_batch.json", []string{"101", "101", "102", "555"}},
		{"workflow_legacy_contact.json", []string{"102"}},
		{"workflow_flat.json", []string{"103"}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			evs, err := ParseDelivery(readFixture(t, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range evs {
				ids = append(ids, e.ObjectID.String())
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("ids %v, want %v", ids, tc.wantIDs)
			}
		})
	}
	for _, bad := range []string{"", "<xml/>", "[{", `{"email": "x@example.com"}`, `"text"`} {
		if _, err := ParseDelivery([]byte(bad)); !errors.Is(err, crm.ErrMalformed) {
			t.Errorf("ParseDelivery(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// fakeHubSpot serves POST /crm/v3/objects/contacts/batch/read from a map, recording each call.
type fakeHubSpot struct {
	mu       sync.Mutex
	contacts map[string]Object
	calls    [][]string // ids asked per call
	props    []string   // properties asked in the last call
	token    string
}

func (f *fakeHubSpot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/crm/v3/objects/contacts/batch/read" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"status":"error","message":"Authentication credentials not found."}`)
		return
	}
	var req batchReadRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Inputs) > MaxBatchRead {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	type result struct {
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
		UpdatedAt  time.Time         `json:"updatedAt"`
		Archived   bool              `json:"archived"`
	}
	var out struct {
		Status  string   `json:"status"`
		Results []result `json:"results"`
	}
	out.Status = "COMPLETE"
	missing := false
	for _, in := range req.Inputs {
		ids = append(ids, in.ID)
		c, ok := f.contacts[in.ID]
		if !ok {
			missing = true
			continue
		}
		props := map[string]string{"hs_object_id": c.ID}
		for _, p := range req.Properties {
			if v, ok := c.Properties[p]; ok {
				props[p] = v
			}
		}
		out.Results = append(out.Results, result{ID: c.ID, Properties: props, UpdatedAt: c.UpdatedAt})
	}
	f.calls, f.props = append(f.calls, ids), req.Properties
	w.Header().Set("Content-Type", "application/json")
	if missing {
		w.WriteHeader(http.StatusMultiStatus)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func TestBatchReadChunksAndSkipsMissing(t *testing.T) {
	fake := &fakeHubSpot{contacts: map[string]Object{}, token: "pat-123"}
	var ids []string
	for i := range 250 {
		id := strconv.Itoa(1000 + i)
		ids = append(ids, id)
		if i != 7 { // one id HubSpot no longer has
			fake.contacts[id] = Object{ID: id, Properties: map[string]string{"email": "c" + id + "@example.com"}, UpdatedAt: fixtureNow}
		}
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	objs, err := BatchRead(ctx, srv.Client(), srv.URL, "pat-123", "contacts", ids, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 249 {
		t.Errorf("%d objects, want 249", len(objs))
	}
	if len(fake.calls) != 3 || len(fake.calls[0]) != 100 || len(fake.calls[2]) != 50 {
		t.Errorf("calls of %d ids, want 100, 100, 50", callSizes(fake.calls))
	}
	if _, err := BatchRead(ctx, srv.Client(), srv.URL, "wrong", "contacts", ids[:1], nil); !errors.Is(err, crm.ErrUpstream) {
		t.Errorf("bad token: %v, want ErrUpstream", err)
	}
}

func callSizes(calls [][]string) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c))
	}
	return n
}

type echoes map[string]string

func (e echoes) Wrote(id, owner string) { e[id] = owner }
func (e echoes) IsEcho(id, _, v string) bool {
	o, ok := e[id]
	return ok && o == v
}

func TestInboundRecords(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{crm.SecretClientSecret: fixtureSecret, crm.SecretToken: "pat-123"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fake := &fakeHubSpot{token: "pat-123", contacts: map[string]Object{
		"101": {ID: "101", Properties: map[string]string{"email": "ada@example.com", "firstname": "Ada", "hs_lead_status": "NEW"}, UpdatedAt: fixtureNow.Add(-time.Minute)},
		"102": {ID: "102", Properties: map[string]string{"email": "grace@example.org"}, UpdatedAt: fixtureNow.Add(-2 * time.Minute)},
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	const public = "https://leadops.example.com/v1/crm/hubspot-main/hubspot/webhook"
	conn := crm.Connection{Name: "hubspot-main", CRM: crm.HubSpot, BaseURL: srv.URL, CredentialsDir: dir,
		Inbound: &crm.InboundConfig{PublicURL: public, FieldMapping: map[string]string{"email": "email", "firstname": "firstName"},
			ActivityMapping: []crm.ActivityRule{{Field: "hs_lead_status", Value: "CONNECTED", Activity: "touch"}}}}
	echo := echoes{}
	in := &Inbound{HTTP: srv.Client(), Echoes: echo, Now: func() time.Time { return fixtureNow }}
	deliver := func(fixture string, sign func(body []byte, h http.Header)) ([]crm.Record, error) {
		body := readFixture(t, fixture)
		h := http.Header{}
		sign(body, h)
		return in.Records(context.Background(), conn, crm.Delivery{Method: "POST", URL: "/v1/crm/hubspot-main/hubspot/webhook", Header: h, Body: body})
	}
	v3 := func(body []byte, h http.Header) {
		ts := strconv.FormatInt(fixtureNow.UnixMilli(), 10)
		h.Set(HeaderRequestTimestamp, ts)
		h.Set(HeaderSignatureV3, SignV3(fixtureSecret, "POST", public, body, ts))
	}

	recs, err := deliver("webhook_batch.json", v3)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ID != "101" || recs[1].ID != "102" || recs[0].Properties["email"] != "ada@example.com" ||
		!recs[0].ModifiedAt.Equal(fixtureNow.Add(-time.Minute)) {
		t.Errorf("records %+v", recs)
	}
	if len(fake.calls) != 1 || strings.Join(fake.calls[0], ",") != "101,102" {
		t.Errorf("batch reads %v, want one of 101,102 (the deal event is not read)", fake.calls)
	}
	if strings.Join(fake.props, ",") != "email,firstname,hs_lead_status" {
		t.Errorf("properties read %v", fake.props)
	}

	// leadops wrote owner 77001 on contact 101: its propertyChange is an echo, nothing is read.
	echo.Wrote("hubspot:contact:101", "77001")
	recs, err = deliver("webhook_owner_echo.json", v3)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !recs[0].Echo || len(fake.calls) != 1 {
		t.Errorf("echo: records %+v, %d reads", recs, len(fake.calls))
	}
	// Someone else set another owner: not an echo.
	echo.Wrote("hubspot:contact:101", "77002")
	if recs, err = deliver("webhook_owner_echo.json", v3); err != nil || len(recs) != 1 || recs[0].Echo {
		t.Errorf("another owner: records %+v, %v", recs, err)
	}

	// Workflow body with a v2 signature: refused unless the connection allows v2.
	v2 := func(body []byte, h http.Header) {
		h.Set(HeaderSignatureVersion, "v2")
		h.Set(HeaderSignature, SignV2(fixtureSecret, "POST", public, body))
	}
	if _, err := deliver("workflow_legacy_contact.json", v2); !errors.Is(err, crm.ErrUnauthenticated) {
		t.Errorf("v2 without allowSignatureV2: %v", err)
	}
	conn.Inbound.AllowSignatureV2 = true
	if recs, err = deliver("workflow_legacy_contact.json", v2); err != nil || len(recs) != 1 || recs[0].ID != "102" {
		t.Errorf("workflow v2: %+v, %v", recs, err)
	}
	// A stale v3 signature is refused even when v2 is allowed.
	stale := func(body []byte, h http.Header) {
		ts := strconv.FormatInt(fixtureNow.Add(-10*time.Minute).UnixMilli(), 10)
		h.Set(HeaderRequestTimestamp, ts)
		h.Set(HeaderSignatureV3, SignV3(fixtureSecret, "POST", public, body, ts))
		v2(body, h)
	}
	reads := len(fake.calls)
	if _, err := deliver("webhook_batch.json", stale); !errors.Is(err, crm.ErrUnauthenticated) || len(fake.calls) != reads {
		t.Errorf("stale v3: %v, %d reads", err, len(fake.calls)-reads)
	}
}

package writeback

import (
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// memFeed is an in-memory lead store with the feed of the shared contract: events in order,
// positions are decimal indexes, cursors in a map.
type memFeed struct {
	mu       sync.Mutex
	events   []store.AuditEvent
	leads    map[string]*lead.Lead
	cursors  map[string]string
	subs     []chan store.Change
	failSave int // SaveCursor fails this many more times (a crash between write and save)
	saves    int
}

func newMemFeed() *memFeed {
	return &memFeed{leads: map[string]*lead.Lead{}, cursors: map[string]string{}}
}

// route adds a lead with externalID and a routed event to owner of team.
func (f *memFeed) route(id, externalID, owner, team, policy string, at time.Time) {
	f.mu.Lock()
	f.leads[id] = &lead.Lead{ID: id, ExternalID: externalID, Owner: owner, Team: team, Policy: policy, Stage: lead.StageRouted}
	f.events = append(f.events, store.AuditEvent{ID: int64(len(f.events) + 1), LeadID: id, At: at, Actor: "controller", Type: lead.EventRouted,
		Data: map[string]any{"owner": owner, "team": team, "policy": policy}})
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		select {
		case s <- store.Change{LeadID: id}:
		default:
		}
	}
}

// add appends any event.
func (f *memFeed) add(ev store.AuditEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev.ID = int64(len(f.events) + 1)
	f.events = append(f.events, ev)
}

func (f *memFeed) EventsAfter(_ context.Context, q store.FeedQuery) (store.FeedPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := 0
	if q.After != "" {
		n, err := strconv.Atoi(q.After)
		if err != nil || n > len(f.events) {
			return store.FeedPage{}, store.ErrCursorExpired
		}
		start = n
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	page := store.FeedPage{Next: strconv.Itoa(start)}
	for i := start; i < len(f.events) && len(page.Events) < limit; i++ {
		page.Next = strconv.Itoa(i + 1)
		ev := f.events[i]
		if len(q.Types) > 0 && !contains(q.Types, ev.Type) {
			continue
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (f *memFeed) LoadCursor(_ context.Context, consumer string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursors[consumer], nil
}

func (f *memFeed) SaveCursor(_ context.Context, consumer, position string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSave > 0 {
		f.failSave--
		return fmt.Errorf("the store went away")
	}
	f.saves++
	f.cursors[consumer] = position
	return nil
}

func (f *memFeed) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	ch := make(chan store.Change, 16)
	f.mu.Lock()
	f.subs = append(f.subs, ch)
	f.mu.Unlock()
	return ch, nil
}

func (f *memFeed) GetLead(_ context.Context, id string) (*lead.Lead, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.leads[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := *l
	return &c, nil
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scripted is an answer a fake gives instead of its normal one.
type scripted struct {
	status int
	header map[string]string
	body   []byte
}

// fakeCRM is the shared part of the fake HubSpot and Salesforce: the owner each record was given
// and how often, the requests by path, and scripted answers in order.
type fakeCRM struct {
	t      testing.TB
	mu     sync.Mutex
	owners map[string]string // record id → owner id written
	writes map[string]int    // record id → times written
	calls  map[string]int    // path → requests
	times  []time.Time       // arrival of every write request
	sizes  []int             // records per write request
	script map[string][]scripted
	// reject maps a record id to the per-record error code the CRM always answers for it.
	reject map[string]string
	srv    *httptest.Server
}

func newFakeCRM(t testing.TB) *fakeCRM {
	return &fakeCRM{t: t, owners: map[string]string{}, writes: map[string]int{}, calls: map[string]int{},
		script: map[string][]scripted{}, reject: map[string]string{}}
}

// then queues answers for path.
func (f *fakeCRM) then(path string, answers ...scripted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[path] = append(f.script[path], answers...)
}

// next counts a call to path and pops its next scripted answer, if any.
func (f *fakeCRM) next(path string) (scripted, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[path]++
	q := f.script[path]
	if len(q) == 0 {
		return scripted{}, false
	}
	f.script[path] = q[1:]
	return q[0], true
}

func (f *fakeCRM) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeCRM) written(id string) (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.owners[id], f.writes[id]
}

func reply(w http.ResponseWriter, s scripted) {
	for k, v := range s.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.status)
	_, _ = w.Write(s.body)
}

const hubspotToken = "pat-test-token"

// newFakeHubSpot serves the owners API from fixtures and the contacts batch update.
func newFakeHubSpot(t testing.TB) *fakeCRM {
	f := newFakeCRM(t)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+hubspotToken {
			reply(w, scripted{status: 401, body: []byte(`{"status":"error","category":"INVALID_AUTHENTICATION"}`)})
			return
		}
		if s, ok := f.next(r.URL.Path); ok {
			reply(w, s)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/crm/v3/owners":
			if r.URL.Query().Get("after") == "2" {
				reply(w, scripted{status: 200, body: fixture(t, "hubspot_owners_page2.json")})
			} else {
				reply(w, scripted{status: 200, body: fixture(t, "hubspot_owners_page1.json")})
			}
		case r.Method == http.MethodPost && r.URL.Path == "/crm/v3/objects/contacts/batch/update":
			var body struct {
				Inputs []struct {
					ID         string            `json:"id"`
					Properties map[string]string `json:"properties"`
				} `json:"inputs"`
			}
			raw, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(raw, &body); err != nil || len(body.Inputs) == 0 || len(body.Inputs) > 100 {
				reply(w, scripted{status: 400, body: []byte(`{"status":"error","category":"VALIDATION_ERROR"}`)})
				return
			}
			f.mu.Lock()
			f.times, f.sizes = append(f.times, time.Now()), append(f.sizes, len(body.Inputs))
			for _, in := range body.Inputs {
				if code := f.reject[in.ID]; code != "" {
					f.mu.Unlock()
					// HubSpot refuses the whole batch for one invalid input.
					reply(w, scripted{status: 400, body: fixture(t, "hubspot_batch_400.json")})
					return
				}
			}
			var results []map[string]any
			for _, in := range body.Inputs {
				f.owners[in.ID] = in.Properties["hubspot_owner_id"]
				f.writes[in.ID]++
				results = append(results, map[string]any{"id": in.ID, "properties": in.Properties, "archived": false})
			}
			f.mu.Unlock()
			out, _ := json.Marshal(map[string]any{"status": "COMPLETE", "results": results})
			reply(w, scripted{status: 200, body: out})
		default:
			reply(w, scripted{status: 404, body: []byte(`{"status":"error","category":"OBJECT_NOT_FOUND"}`)})
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

const (
	sfClientID     = "3MVG9-test-client"
	sfClientSecret = "sf-test-secret"
	sfComposite    = "/services/data/" + salesforceAPIVersion + "/composite/sobjects"
	sfToken        = "/services/oauth2/token"
)

// newFakeSalesforce serves the client credentials token endpoint, sObject Collections and the User
// query. Each token it issues is new; the data API accepts only the latest.
func newFakeSalesforce(t testing.TB) *fakeCRM {
	f := newFakeCRM(t)
	issued := 0
	current := ""
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sfToken {
			_ = r.ParseForm()
			if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" ||
				r.PostForm.Get("client_id") != sfClientID || r.PostForm.Get("client_secret") != sfClientSecret {
				reply(w, scripted{status: 400, body: []byte(`{"error":"invalid_client","error_description":"invalid client credentials"}`)})
				return
			}
			f.next(sfToken)
			f.mu.Lock()
			issued++
			current = fmt.Sprintf("00DTOKEN!%d", issued)
			tok := strings.Replace(strings.Replace(string(fixture(t, "salesforce_token.json")), "00DTOKEN!placeholder", current, 1), "INSTANCE", f.srv.URL, 1)
			f.mu.Unlock()
			reply(w, scripted{status: 200, body: []byte(tok)})
			return
		}
		f.mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer "+current && current != ""
		f.mu.Unlock()
		if s, scriptedAnswer := f.next(r.URL.Path); scriptedAnswer {
			reply(w, s)
			return
		}
		if !ok {
			reply(w, scripted{status: 401, body: fixture(t, "salesforce_401.json")})
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/services/data/"+salesforceAPIVersion+"/query":
			// SOQL compares strings case-insensitively.
			if strings.Contains(strings.ToLower(r.URL.Query().Get("q")), "email = 'rep.ana@example.com'") {
				reply(w, scripted{status: 200, body: fixture(t, "salesforce_users.json")})
			} else {
				reply(w, scripted{status: 200, body: fixture(t, "salesforce_users_none.json")})
			}
		case r.Method == http.MethodPatch && r.URL.Path == sfComposite:
			if r.Header.Get("Sforce-Auto-Assign") != "FALSE" {
				t.Errorf("sObject Collections request without Sforce-Auto-Assign: FALSE")
			}
			var body struct {
				AllOrNone bool             `json:"allOrNone"`
				Records   []map[string]any `json:"records"`
			}
			raw, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(raw, &body); err != nil || body.AllOrNone || len(body.Records) == 0 || len(body.Records) > 200 {
				reply(w, scripted{status: 400, body: []byte(`[{"message":"bad request","errorCode":"INVALID_FIELD"}]`)})
				return
			}
			f.mu.Lock()
			f.times, f.sizes = append(f.times, time.Now()), append(f.sizes, len(body.Records))
			var results []map[string]any
			for _, rec := range body.Records {
				id, _ := rec["id"].(string)
				if code := f.reject[id]; code != "" {
					results = append(results, map[string]any{"id": nil, "success": false,
						"errors": []map[string]any{{"statusCode": code, "message": "invalid cross reference id", "fields": []string{"OwnerId"}}}})
					continue
				}
				owner, _ := rec["OwnerId"].(string)
				f.owners[id] = owner
				f.writes[id]++
				results = append(results, map[string]any{"id": id, "success": true, "errors": []any{}})
			}
			f.mu.Unlock()
			out, _ := json.Marshal(results)
			reply(w, scripted{status: 200, body: out})
		default:
			reply(w, scripted{status: 404, body: []byte(`[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)})
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// connection writes the credentials of kind into a temporary credentialsDir and returns the
// connection pointing at srv.
func connection(t testing.TB, kind crm.Kind, baseURL string, rps float64) crm.Connection {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{crm.SecretToken: hubspotToken}
	name := "hubspot-main"
	if kind == crm.Salesforce {
		files = map[string]string{crm.SecretClientID: sfClientID, crm.SecretClientSecret: sfClientSecret}
		name = "salesforce-main"
	}
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return crm.Connection{Name: name, CRM: kind, BaseURL: baseURL, CredentialsDir: dir,
		WriteBack: &crm.WriteBackConfig{Enabled: true, RatePerSecond: rps}}
}

// sleeps records the waits a client asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// echoes records what the worker announced it writes.
type echoes struct {
	mu    sync.Mutex
	wrote map[string]string
}

func (e *echoes) Wrote(externalID, owner string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.wrote == nil {
		e.wrote = map[string]string{}
	}
	e.wrote[externalID] = owner
}

// newWorker wires a worker of conn to feed and a fresh client with recorded sleeps.
func newWorker(t testing.TB, conn crm.Connection, feed *memFeed, roster Roster, reg *Registry) (*Worker, *sleeps) {
	sl := &sleeps{}
	return &Worker{Conn: conn, CRM: NewCRM(conn, ClientOptions{Sleep: sl.sleep, Backoff: 10 * time.Millisecond}),
		Feed: feed, Leads: feed, Roster: roster, Health: reg, Log: logr.Discard(),
		RetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond, Echoes: &echoes{}}, sl
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

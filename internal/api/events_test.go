package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// getEvents calls GET /v1/events?query as hubspot and decodes a 200.
func getEvents(t *testing.T, ts *testServer, query url.Values) (api.EventsPage, rawResponse) {
	t.Helper()
	r := ts.do(t, http.MethodGet, "/v1/events?"+query.Encode(), "", "Bearer "+tokenHubspot, nil)
	var p api.EventsPage
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("events body: %v: %s", err, r.body)
		}
		if p.Events == nil {
			t.Fatalf("events is null, want a list: %s", r.body)
		}
	}
	return p, r
}

func eventKinds(evs []store.AuditEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type+":"+ev.LeadID)
	}
	return out
}

// TestEventsFeed: a consumer pages through the feed with after=next until next stops moving, sees
// every audit event of every lead in order, filters by type, and is refused with the field for bad
// parameters.
func TestEventsFeed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		a, _, err := ts.hubspot.UpsertLead(ctx, store.LeadInput{ExternalID: "E-1", Email: "a@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := ts.hubspot.UpsertLead(ctx, store.LeadInput{ExternalID: "E-2", Email: "b@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		routeLead(t, st, a.ID, "alice", "default/sdr")
		want := []string{"created:" + a.ID, "created:" + b.ID, "qualified:" + a.ID, "routed:" + a.ID}

		// Pages of 1 until caught up.
		var got []store.AuditEvent
		after := ""
		for range 20 {
			q := url.Values{"limit": {"1"}}
			if after != "" {
				q.Set("after", after)
			}
			p, r := getEvents(t, ts, q)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			got = append(got, p.Events...)
			if p.Next == after {
				break
			}
			after = p.Next
		}
		if !slices.Equal(eventKinds(got), want) {
			t.Fatalf("feed: %v, want %v", eventKinds(got), want)
		}
		if got[3].Actor != "router" || got[3].Data["owner"] != "alice" || got[0].Actor != "hubspot" {
			t.Fatalf("events lost their content: %+v", got)
		}
		// Caught up: empty, same position, at once.
		p, _ := getEvents(t, ts, url.Values{"after": {after}})
		if len(p.Events) != 0 || p.Next != after {
			t.Fatalf("caught up: %d events, next moved %v", len(p.Events), p.Next != after)
		}

		// Types: only routed, in one page; comma-separated and repeated.
		for _, q := range []url.Values{{"types": {"routed"}}, {"types": {"routed,breached"}}, {"types": {"routed", "won"}}} {
			p, r := getEvents(t, ts, q)
			if r.status != http.StatusOK || !slices.Equal(eventKinds(p.Events), []string{"routed:" + a.ID}) {
				t.Fatalf("%v: %d %v", q, r.status, eventKinds(p.Events))
			}
			// Next moved past the filtered-out events: the whole feed after it is empty.
			if rest, _ := getEvents(t, ts, url.Values{"after": {p.Next}}); len(rest.Events) != 0 {
				t.Fatalf("%v: %d events left after next", q, len(rest.Events))
			}
		}

		for _, tc := range []struct {
			query url.Values
			field string
		}{
			{url.Values{"types": {"routed,shipped"}}, "types"},
			{url.Values{"types": {""}}, "types"},
			{url.Values{"limit": {"0"}}, "limit"},
			{url.Values{"limit": {"1001"}}, "limit"},
			{url.Values{"limit": {"ten"}}, "limit"},
			{url.Values{"wait": {"61s"}}, "wait"},
			{url.Values{"wait": {"-1s"}}, "wait"},
			{url.Values{"wait": {"soon"}}, "wait"},
			{url.Values{"cursor": {"x"}}, "cursor"},
			{url.Values{"after": {"not-a-position"}}, "after"},
			{url.Values{"after": {"a", "b"}}, "after"},
		} {
			_, r := getEvents(t, ts, tc.query)
			if r.status != http.StatusBadRequest || len(r.err.Fields) == 0 || r.err.Fields[0].Path != tc.field {
				t.Errorf("%v: status %d, %+v; want 400 on %s", tc.query, r.status, r.err, tc.field)
			}
		}
		if r := ts.do(t, http.MethodGet, "/v1/events", "", "", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("without a token: %d", r.status)
		}
	})
}

// TestEventsExpiredPosition: a position from another store is 410 Gone, telling the consumer to
// restart.
func TestEventsExpiredPosition(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st, other := b.open(t), b.open(t)
			if _, _, err := other.UpsertLead(context.Background(), store.LeadInput{ExternalID: "O-1"}, "seed"); err != nil {
				t.Fatal(err)
			}
			op, err := other.EventsAfter(context.Background(), store.FeedQuery{})
			if err != nil {
				t.Fatal(err)
			}
			ts := startServer(t, st, nil)
			_, r := getEvents(t, ts, url.Values{"after": {op.Next}})
			if r.status != http.StatusGone || !strings.Contains(r.err.Error, "start again without after") {
				t.Fatalf("another store's position: %d %q, want 410 saying how to restart", r.status, r.err.Error)
			}
		})
	}
}

// TestEventsLongPoll: a caught-up consumer waiting with wait= gets the next event as soon as it is
// committed; with nothing committed it gets an empty page when the wait runs out, not later; a client
// that goes away ends the wait.
func TestEventsLongPoll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		subs := &watchedStore{Backend: st}
		ts := startServer(t, subs, nil)
		ctx := context.Background()
		p, _ := getEvents(t, ts, url.Values{})
		start := p.Next

		// Woken by a commit.
		go func() {
			time.Sleep(300 * time.Millisecond)
			if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "W-1"}, "seed"); err != nil {
				t.Error(err)
			}
		}()
		t0 := time.Now()
		p, r := getEvents(t, ts, url.Values{"after": {start}, "wait": {"20s"}})
		if r.status != http.StatusOK || len(p.Events) != 1 || p.Events[0].Type != lead.EventCreated {
			t.Fatalf("long poll: %d %s", r.status, r.body)
		}
		if d := time.Since(t0); d < 250*time.Millisecond || d > 5*time.Second {
			t.Fatalf("long poll answered after %s; want soon after the commit at 300ms", d)
		}
		// The connection's deadlines were moved past the server's timeouts for the wait.
		if strings.Contains(ts.logs.String(), "cannot extend") {
			t.Fatalf("the long poll could not extend its deadlines:\n%s", ts.logs.String())
		}

		// Nothing committed: answered when the wait runs out, with next unchanged. Whole seconds work too.
		for _, wait := range []string{"1s", "1"} {
			t0 = time.Now()
			empty, r := getEvents(t, ts, url.Values{"after": {p.Next}, "wait": {wait}})
			if r.status != http.StatusOK || len(empty.Events) != 0 || empty.Next != p.Next {
				t.Fatalf("wait %s: %d %s", wait, r.status, r.body)
			}
			if d := time.Since(t0); d < time.Second || d > 4*time.Second {
				t.Fatalf("wait %s answered after %s", wait, d)
			}
		}

		// From the beginning of the feed, a long poll answers at once: there are events.
		t0 = time.Now()
		if all, _ := getEvents(t, ts, url.Values{"wait": {"30s"}}); len(all.Events) != 1 || time.Since(t0) > 3*time.Second {
			t.Fatalf("from the start with wait: %d events after %s", len(all.Events), time.Since(t0))
		}

		// The client goes away: the server stops waiting (its subscription ends) long before the wait.
		waitFor(t, "earlier long polls to end", func() bool { return subs.active.Load() == 0 })
		cctx, cancel := context.WithCancel(ctx)
		req, _ := http.NewRequestWithContext(cctx, http.MethodGet, ts.url+"/v1/events?wait=30s&after="+url.QueryEscape(p.Next), nil)
		req.Header.Set("Authorization", "Bearer "+tokenHubspot)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		waitFor(t, "the long poll to subscribe", func() bool { return subs.active.Load() == 1 })
		cancel()
		<-done
		waitFor(t, "the server to stop waiting for a client that went away", func() bool { return subs.active.Load() == 0 })
	})
}

// watchedStore counts the subscriptions whose context has not ended: the long polls still waiting.
type watchedStore struct {
	store.Backend
	active atomic.Int64
}

func (s *watchedStore) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	ch, err := s.Backend.Subscribe(ctx)
	if err == nil {
		s.active.Add(1)
		go func() {
			<-ctx.Done()
			s.active.Add(-1)
		}()
	}
	return ch, err
}

// TestOpenAPIEventsMatchesConstants: the documented event types and page sizes of GET /v1/events
// are the ones the server enforces.
func TestOpenAPIEventsMatchesConstants(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string         `json:"name"`
				Schema map[string]any `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Components.Schemas["EventType"].Enum; !slices.Equal(got, store.EventTypes) {
		t.Errorf("EventType enum %v, store.EventTypes %v", got, store.EventTypes)
	}
	found := false
	for _, p := range doc.Paths["/v1/events"]["get"].Parameters {
		if p.Name != "limit" {
			continue
		}
		found = true
		if p.Schema["maximum"] != float64(api.MaxEventsPageSize) || p.Schema["default"] != float64(api.DefaultEventsPageSize) || p.Schema["minimum"] != float64(1) {
			t.Errorf("GET /v1/events limit schema %v; want minimum 1, maximum %d, default %d", p.Schema, api.MaxEventsPageSize, api.DefaultEventsPageSize)
		}
	}
	if !found {
		t.Error("GET /v1/events documents no limit")
	}
}

package events

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// memFeed is an in-memory store.Backend feed as the shared contract describes it: positions are the
// last scanned audit id in decimal, Next moves past filtered-out events too.
type memFeed struct {
	mu      sync.Mutex
	events  []store.AuditEvent
	cursors map[string]string
	saves   map[string]int
	subs    []chan store.Change
	leads   map[string]*lead.Lead
	// failReads makes the next EventsAfter calls fail, as a store that is down.
	failReads int
}

func newMemFeed() *memFeed {
	return &memFeed{cursors: map[string]string{}, saves: map[string]int{}, leads: map[string]*lead.Lead{}}
}

func (f *memFeed) add(evs ...store.AuditEvent) {
	f.mu.Lock()
	for _, ev := range evs {
		ev.ID = int64(len(f.events) + 1)
		f.events = append(f.events, ev)
	}
	subs := slices.Clone(f.subs)
	f.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- store.Change{LeadID: evs[0].LeadID}:
		default: // coalesced
		}
	}
}

func (f *memFeed) EventsAfter(_ context.Context, q store.FeedQuery) (store.FeedPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failReads > 0 {
		f.failReads--
		return store.FeedPage{}, errors.New("database is down")
	}
	after := int64(0)
	if q.After != "" {
		n, err := strconv.ParseInt(q.After, 10, 64)
		if err != nil || n > int64(len(f.events)) {
			return store.FeedPage{}, store.ErrCursorExpired
		}
		after = n
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	page := store.FeedPage{Next: strconv.FormatInt(after, 10)}
	for _, ev := range f.events[after:] {
		if len(page.Events) == limit {
			break
		}
		page.Next = strconv.FormatInt(ev.ID, 10)
		if len(q.Types) > 0 && !slices.Contains(q.Types, ev.Type) {
			continue
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}

func (f *memFeed) LoadCursor(_ context.Context, consumer string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursors[consumer], nil
}

func (f *memFeed) SaveCursor(_ context.Context, consumer, position string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursors[consumer] = position
	f.saves[consumer]++
	return nil
}

func (f *memFeed) cursor(consumer string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursors[consumer]
}

func (f *memFeed) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	ch := make(chan store.Change, 1)
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

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	status int
}

// receiver is an httptest endpoint on 127.0.0.1 answering by a script: respond(n, id) returns the
// status and headers of the n-th request (0-based) overall, id being its webhook-id.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []received
	respond func(n int, id string) (int, http.Header)
}

func newReceiver(t *testing.T, respond func(n int, id string) (int, http.Header)) *receiver {
	t.Helper()
	r := &receiver{respond: respond}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body := make([]byte, 0, 1024)
		buf := make([]byte, 1024)
		for {
			n, err := req.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		r.mu.Lock()
		n := len(r.reqs)
		status, h := http.StatusNoContent, http.Header(nil)
		if r.respond != nil {
			status, h = r.respond(n, req.Header.Get(HeaderID))
		}
		r.reqs = append(r.reqs, received{header: req.Header.Clone(), body: body, status: status})
		r.mu.Unlock()
		if status < 0 { // a network error: drop the connection without an answer
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
			return
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// acknowledged lists the webhook-ids of the requests answered with a 2xx, in arrival order.
func (r *receiver) acknowledged() []string {
	var ids []string
	for _, q := range r.requests() {
		if q.status >= 200 && q.status < 300 {
			ids = append(ids, q.header.Get(HeaderID))
		}
	}
	return ids
}

func (r *receiver) url(t *testing.T) *url.URL {
	u, err := url.Parse(r.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitFor polls cond for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sleeps records the waits a Deliverer asks for and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

var testNow = time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)

func testOptions(sl *sleeps) Options {
	fc := &clock.Fake{}
	fc.Set(testNow)
	return Options{Clock: fc, Sleep: sl.sleep, Jitter: func() float64 { return 0.5 }, Metrics: NewMetrics(),
		Poll: 20 * time.Millisecond, BaseBackoff: time.Second, MaxBackoff: time.Minute}
}

// start runs d until the returned stop is called (or the test ends).
func start(t *testing.T, d *Deliverer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

func (f *memFeed) Audit(_ context.Context, leadID string) ([]store.AuditEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.AuditEvent
	for _, ev := range f.events {
		if ev.LeadID == leadID {
			out = append(out, ev)
		}
	}
	return out, nil
}

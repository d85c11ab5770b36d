package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var (
	due      = time.Date(2027, 1, 11, 15, 0, 0, 0, time.UTC)
	detected = due.Add(90*time.Second + 400*time.Millisecond)
)

func breach(id string) Breach {
	return Breach{Policy: "sales/inbound", LeadID: id, SLA: "first_touch", Due: due, DetectedAt: detected,
		Action: "reassigned", Reassignment: 1}
}

// receiver is a webhook on 127.0.0.1 that answers each request with the next of its replies (the
// last one repeats) and records what it got.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
	reply   []func(http.ResponseWriter)
}

func newReceiver(t *testing.T, reply ...func(http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{reply: reply}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.bodies)
		r.bodies = append(r.bodies, string(body))
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		if req.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if len(r.reply) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		r.reply[min(n, len(r.reply)-1)](w)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

func (r *receiver) header(i int) http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.headers[i]
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

// fakeTime is an injected clock whose Sleep records the wait and moves the clock on at once.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	jitter float64
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

func (f *fakeTime) sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.slept)
}

type harness struct {
	n      *Notifier
	count  *prometheus.CounterVec
	clock  *fakeTime
	logs   *strings.Builder
	logMu  *sync.Mutex
	cancel context.CancelFunc
	done   chan error
}

// newNotifier builds a Notifier with a fake clock, its own counter and a captured log; start runs it
// until the test ends.
func newNotifier(t *testing.T, mutate func(*Options)) *harness {
	t.Helper()
	h := &harness{count: NewDeliveriesCounter(), clock: &fakeTime{now: detected, jitter: 0.5},
		logs: &strings.Builder{}, logMu: &sync.Mutex{}}
	o := Options{Deliveries: h.count, Sleep: h.clock.Sleep, Now: h.clock.Now, Jitter: func() float64 { return h.clock.jitter },
		Log: funcr.New(func(prefix, args string) {
			h.logMu.Lock()
			defer h.logMu.Unlock()
			h.logs.WriteString(prefix + " " + args + "\n")
		}, funcr.Options{Verbosity: 1})}
	if mutate != nil {
		mutate(&o)
	}
	h.n = New(o)
	return h
}

func (h *harness) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.n.Start(ctx) }()
	t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

func (h *harness) result(r string) float64 { return testutil.ToFloat64(h.count.WithLabelValues(r)) }

func (h *harness) log() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.logs.String()
}

// waitResults waits until the notifier has counted want results in all.
func (h *harness) waitResults(t *testing.T, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if h.result(ResultDelivered)+h.result(ResultFailed)+h.result(ResultDropped) >= want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %v results: delivered %v failed %v dropped %v", want,
		h.result(ResultDelivered), h.result(ResultFailed), h.result(ResultDropped))
}

func (h *harness) expect(t *testing.T, delivered, failed, dropped float64) {
	t.Helper()
	if d, f, x := h.result(ResultDelivered), h.result(ResultFailed), h.result(ResultDropped); d != delivered || f != failed || x != dropped {
		t.Fatalf("results: delivered %v failed %v dropped %v; want %v %v %v", d, f, x, delivered, failed, dropped)
	}
}

func TestDeliversJSONNotice(t *testing.T) {
	r := newReceiver(t)
	h := newNotifier(t, nil)
	h.start(t)
	if err := h.n.Enqueue(r.srv.URL+"/hooks/sla", breach("lead-1")); err != nil {
		t.Fatal(err)
	}
	h.waitResults(t, 1)
	h.expect(t, 1, 0, 0)
	if got := r.got(); len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	hd := r.header(0)
	if hd.Get("Content-Type") != "application/json" || hd.Get("Idempotency-Key") == "" {
		t.Fatalf("headers: %v", hd)
	}
	if len(h.clock.sleeps()) != 0 {
		t.Fatalf("slept %v on a first-time success", h.clock.sleeps())
	}
}

// TestPayloadShape: exactly the documented fields, and nothing else that could carry personal data.
func TestPayloadShape(t *testing.T) {
	r := newReceiver(t)
	h := newNotifier(t, nil)
	h.start(t)
	b := breach("0190a1b2-lead")
	b.Action = ""
	b.Due = due.In(time.FixedZone("EST", -5*3600))
	if err := h.n.Enqueue(r.srv.URL, b); err != nil {
		t.Fatal(err)
	}
	h.waitResults(t, 1)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.got()[0]), &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.got()[0])
	}
	want := map[string]any{
		"type": "leadops.sla.breached", "policy": "sales/inbound", "leadId": "0190a1b2-lead", "sla": "first_touch",
		"due": "2027-01-11T15:00:00Z", "detectedAt": "2027-01-11T15:01:30Z", "overdueSeconds": float64(90),
		"action": "none", "reassignment": float64(1),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body\n got %v\nwant %v", got, want)
	}
	// The notice type has no field that could hold an email, a name, a company or an owner.
	for i := range reflect.TypeFor[Breach]().NumField() {
		f := reflect.TypeFor[Breach]().Field(i).Name
		for _, bad := range []string{"Email", "Name", "Company", "Owner", "Domain"} {
			if strings.Contains(f, bad) {
				t.Errorf("Breach has a field %s", f)
			}
		}
	}
}

func TestRetries500ThenDelivers(t *testing.T) {
	r := newReceiver(t, status(500), status(502), status(200))
	h := newNotifier(t, func(o *Options) { o.BaseBackoff = time.Second })
	h.clock.jitter = 0
	h.start(t)
	if err := h.n.Enqueue(r.srv.URL, breach("lead-1")); err != nil {
		t.Fatal(err)
	}
	h.waitResults(t, 1)
	h.expect(t, 1, 0, 0)
	if n := len(r.got()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	// Exponential with jitter 0: half the nominal 1s, then half of 2s.
	if s := h.clock.sleeps(); !slices.Equal(s, []time.Duration{500 * time.Millisecond, time.Second}) {
		t.Fatalf("backoff waits %v", s)
	}
	// The same notice keeps its idempotency key across retries.
	if k := r.header(0).Get("Idempotency-Key"); k == "" || k != r.header(2).Get("Idempotency-Key") {
		t.Fatalf("idempotency keys %q %q", k, r.header(2).Get("Idempotency-Key"))
	}
}

func TestJitterStaysWithinTheBackoff(t *testing.T) {
	r := newReceiver(t, status(503), status(503), status(503), status(204))
	h := newNotifier(t, func(o *Options) { o.BaseBackoff, o.MaxBackoff = time.Second, 3*time.Second })
	h.clock.jitter = 0.999
	h.start(t)
	_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
	h.waitResults(t, 1)
	s := h.clock.sleeps()
	nominal := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} // capped at MaxBackoff
	if len(s) != 3 {
		t.Fatalf("waits %v", s)
	}
	for i, d := range s {
		if d < nominal[i]/2 || d > nominal[i] {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, d, nominal[i]/2, nominal[i])
		}
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	for name, header := range map[string]string{
		"seconds": "7",
		"date":    detected.Add(7 * time.Second).UTC().Format(http.TimeFormat),
	} {
		t.Run(name, func(t *testing.T) {
			r := newReceiver(t, status(429, "Retry-After", header), status(200))
			h := newNotifier(t, nil)
			// The header's date has whole seconds; start the clock on one so the wait is exact.
			h.clock.now = detected.Truncate(time.Second)
			h.start(t)
			_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
			h.waitResults(t, 1)
			h.expect(t, 1, 0, 0)
			want := 7 * time.Second
			if s := h.clock.sleeps(); !slices.Equal(s, []time.Duration{want}) {
				t.Fatalf("waits %v, want [%v]", s, want)
			}
		})
	}
}

func TestRetryAfterBeyondTheBudgetGivesUp(t *testing.T) {
	r := newReceiver(t, status(503, "Retry-After", "3600"))
	h := newNotifier(t, func(o *Options) { o.MaxElapsed = time.Minute })
	h.start(t)
	_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
	h.waitResults(t, 1)
	h.expect(t, 0, 1, 0)
	if n, s := len(r.got()), h.clock.sleeps(); n != 1 || len(s) != 0 {
		t.Fatalf("%d attempts and waits %v; want one attempt and no hour-long wait", n, s)
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 404, 410, 422} {
		r := newReceiver(t, status(code), status(200))
		h := newNotifier(t, nil)
		h.start(t)
		_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
		h.waitResults(t, 1)
		h.expect(t, 0, 1, 0)
		if n := len(r.got()); n != 1 {
			t.Fatalf("%d: %d attempts, want 1", code, n)
		}
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := newReceiver(t)
	r := newReceiver(t, status(307, "Location", elsewhere.srv.URL))
	h := newNotifier(t, nil)
	h.start(t)
	_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
	h.waitResults(t, 1)
	h.expect(t, 0, 1, 0)
	if n := len(elsewhere.got()); n != 0 {
		t.Fatalf("the redirect was followed")
	}
}

func TestAttemptsAreBounded(t *testing.T) {
	r := newReceiver(t, status(500))
	h := newNotifier(t, func(o *Options) { o.MaxAttempts = 4 })
	h.start(t)
	_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
	h.waitResults(t, 1)
	h.expect(t, 0, 1, 0)
	if n, s := len(r.got()), len(h.clock.sleeps()); n != 4 || s != 3 {
		t.Fatalf("%d attempts, %d waits; want 4 and 3", n, s)
	}
}

func TestTotalTimeIsBounded(t *testing.T) {
	r := newReceiver(t, status(500))
	// Waits of 0.5s, 1s, 2s, 4s (no jitter: half of 1s, 2s, 4s, 8s) add up to 7.5s, within 10s; the next
	// 8s wait would end past it, so the fifth attempt is the last.
	h := newNotifier(t, func(o *Options) {
		o.MaxAttempts, o.BaseBackoff, o.MaxElapsed = 100, time.Second, 10*time.Second
	})
	h.clock.jitter = 0
	h.start(t)
	_ = h.n.Enqueue(r.srv.URL, breach("lead-1"))
	h.waitResults(t, 1)
	h.expect(t, 0, 1, 0)
	if n, s := len(r.got()), h.clock.sleeps(); n != 5 || !slices.Equal(s, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}) {
		t.Fatalf("%d attempts, waits %v", n, s)
	}
}

func TestNetworkErrorsAreRetriedAndTheURLIsNeverLogged(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	base := dead.URL
	dead.Close() // connection refused from now on
	h := newNotifier(t, func(o *Options) { o.MaxAttempts = 3 })
	h.start(t)
	secret := strings.Replace(base, "http://", "http://hookuser:pa55word@", 1) + "/hook?token=s3cr3t-t0ken"
	if err := h.n.Enqueue(secret, breach("lead-1")); err != nil {
		t.Fatal(err)
	}
	h.waitResults(t, 1)
	h.expect(t, 0, 1, 0)
	if n := len(h.clock.sleeps()); n != 2 {
		t.Fatalf("%d waits, want 2 (three attempts)", n)
	}
	logs := h.log()
	host := strings.TrimPrefix(base, "http://")
	if !strings.Contains(logs, "giving up") || !strings.Contains(logs, host) {
		t.Fatalf("want a give-up line naming the host %s:\n%s", host, logs)
	}
	for _, leak := range []string{"s3cr3t-t0ken", "token=", "pa55word", "hookuser", "/hook"} {
		if strings.Contains(logs, leak) {
			t.Fatalf("the log leaks %q:\n%s", leak, logs)
		}
	}
}

func TestInvalidURL(t *testing.T) {
	h := newNotifier(t, nil)
	for _, u := range []string{"", "not a url", "ftp://example.com/x", "/relative", "http://", "file:///etc/passwd"} {
		err := h.n.Enqueue(u+"?token=s3cr3t", breach("lead-1"))
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Enqueue(%q) = %v; want an error that does not quote the URL", u, err)
		}
	}
	h.expect(t, 0, 6, 0)
}

// TestQueueFullDropsTheOldest: with nothing draining, a full queue makes room by dropping the oldest
// notice; once started, the newer ones are delivered.
func TestQueueFullDropsTheOldest(t *testing.T) {
	r := newReceiver(t)
	h := newNotifier(t, func(o *Options) { o.QueueSize, o.Workers = 2, 1 })
	for _, id := range []string{"lead-1", "lead-2", "lead-3", "lead-4"} {
		start := time.Now()
		if err := h.n.Enqueue(r.srv.URL, breach(id)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Enqueue blocked for %v", d)
		}
	}
	if h.n.Dropped() != 2 {
		t.Fatalf("dropped %d, want 2", h.n.Dropped())
	}
	h.start(t)
	h.waitResults(t, 4)
	h.expect(t, 2, 0, 2)
	var ids []string
	for _, b := range r.got() {
		var m map[string]any
		_ = json.Unmarshal([]byte(b), &m)
		ids = append(ids, m["leadId"].(string))
	}
	if !slices.Equal(ids, []string{"lead-3", "lead-4"}) {
		t.Fatalf("delivered %v, want the two newest", ids)
	}
}

// TestSlowWebhookNeverBlocksEnqueue: a receiver that hangs does not slow Enqueue down.
func TestSlowWebhookNeverBlocksEnqueue(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	h := newNotifier(t, func(o *Options) { o.QueueSize, o.Workers = 8, 1 })
	h.start(t)
	start := time.Now()
	for i := range 1000 {
		_ = h.n.Enqueue(slow.URL, breach("lead-"+string(rune('a'+i%26))))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("1000 enqueues took %v against a hanging webhook", d)
	}
	// One in flight, eight waiting, the rest dropped.
	if d := h.n.Dropped(); d < 990 || d > 992 {
		t.Fatalf("dropped %d, want about 991", d)
	}
}

// TestCancelStops: cancelling the context aborts an attempt in flight, Start returns, what was left
// is counted as dropped, and later notices are refused.
func TestCancelStops(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so the server notices the client going away
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	h := newNotifier(t, func(o *Options) { o.Workers, o.Timeout = 1, time.Hour })
	h.start(t)
	_ = h.n.Enqueue(hang.URL, breach("lead-1"))
	_ = h.n.Enqueue(hang.URL, breach("lead-2"))
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the first notice never arrived")
	}
	start := time.Now()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Start returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
	h.cancel = nil
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("stopping took %v", d)
	}
	h.expect(t, 0, 0, 2)
	if err := h.n.Enqueue(hang.URL, breach("lead-3")); err == nil {
		t.Fatal("Enqueue after stop succeeded")
	}
	h.expect(t, 0, 0, 3)
	if !h.n.NeedLeaderElection() {
		t.Fatal("the notifier must run on the leader only")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	n := New(Options{Now: func() time.Time { return detected }})
	for in, want := range map[string]time.Duration{
		"": -1, "soon": -1, "-3": -1, "0": 0, "120": 2 * time.Minute,
		detected.Add(-time.Hour).UTC().Format(http.TimeFormat): 0,
	} {
		if got := n.retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// Package webhook defines the SLA breach notice (Breach, its JSON body and Idempotency-Key), and the
// in-memory Notifier that delivered it before event delivery (internal/events) took over: with a lead
// store that serves the audit-event feed, the manager sends these notices from the audit log, at least
// once (controllers.BreachSubscriptions); the Notifier remains for stores without the feed.
//
// The Notifier delivers SLA breach notices to webhooks: a JSON POST per breach, retried with
// exponential backoff and jitter on network errors, 5xx and 429 (honouring Retry-After), never on other
// 4xx, within a bounded number of attempts and a bounded total time.
//
// Deliveries are asynchronous: Enqueue never blocks. Notices wait in a bounded queue that a few workers
// drain; when the queue is full the OLDEST waiting notice is dropped to make room for the new one (and
// counted as dropped), on the grounds that the freshest breach is the most actionable one and that a
// backlog only builds up while the receiver is failing anyway. Delivery is best effort (at most once
// per notice, lost on a restart): the lead store's audit log remains the record of every breach.
//
// The webhook URL may carry a token in its query string or userinfo, so nothing here logs it or puts
// it in an error message: logs name the host only, and metrics carry the result alone.
package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadops/leadops/internal/retry"
)

// EventType is the "type" of every breach notice.
const EventType = "leadops.sla.breached"

// Delivery results, the values of the result label.
const (
	ResultDelivered = "delivered"
	ResultFailed    = "failed"
	ResultDropped   = "dropped"
)

// Breach is one SLA breach of one handoff. It deliberately holds no personal data: the lead is named by
// its opaque id only (no email, name, company, nor the owners' handles).
type Breach struct {
	// Policy is the governing LeadPolicy as namespace/name.
	Policy string
	// LeadID is the lead store's id of the lead.
	LeadID string
	// SLA is "first_touch" or "acceptance".
	SLA string
	// Due is the deadline that passed; DetectedAt is when the controller recorded the breach.
	Due, DetectedAt time.Time
	// Action is what the controller did about it: "reassigned", "escalated" or "none".
	Action string
	// Reassignment is how many times the lead has been reassigned after breaches, this one included.
	Reassignment int
}

// wire is the JSON body of a notice.
type wire struct {
	Type           string `json:"type"`
	Policy         string `json:"policy"`
	LeadID         string `json:"leadId"`
	SLA            string `json:"sla"`
	Due            string `json:"due"`
	DetectedAt     string `json:"detectedAt"`
	OverdueSeconds int64  `json:"overdueSeconds"`
	Action         string `json:"action"`
	Reassignment   int    `json:"reassignment"`
}

// MarshalJSON renders the notice's body: times in RFC 3339 (UTC, whole seconds), the overdue time in
// whole seconds, and action "none" when empty.
func (b Breach) MarshalJSON() ([]byte, error) {
	action := b.Action
	if action == "" {
		action = "none"
	}
	overdue := int64(b.DetectedAt.Sub(b.Due) / time.Second)
	if overdue < 0 {
		overdue = 0
	}
	return json.Marshal(wire{
		Type: EventType, Policy: b.Policy, LeadID: b.LeadID, SLA: b.SLA,
		Due: b.Due.UTC().Format(time.RFC3339), DetectedAt: b.DetectedAt.UTC().Format(time.RFC3339),
		OverdueSeconds: overdue, Action: action, Reassignment: b.Reassignment,
	})
}

// Key identifies a notice across retries (and across replicas that might both send it), sent as the
// Idempotency-Key header so receivers can discard duplicates. Breach notices delivered from the audit
// log (internal/events) send the same key.
func (b Breach) Key() string {
	h := sha256.Sum256([]byte(strings.Join([]string{b.Policy, b.LeadID, b.SLA, b.Due.UTC().Format(time.RFC3339Nano)}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// NewDeliveriesCounter returns a counter vector of the shape Options.Deliveries expects.
func NewDeliveriesCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadops_webhook_deliveries_total",
		Help: "Breach notices to webhooks by result: delivered (2xx), failed (gave up after retries, refused with a 4xx, or an unusable URL) or dropped (queue full or shutdown).",
	}, []string{"result"})
}

// Deliveries is the default counter of every Notifier, leadops_webhook_deliveries_total{result}. It is
// not registered here: the manager registers it on its metrics registry.
var Deliveries = NewDeliveriesCounter()

// Options tune a Notifier; zero values take the defaults.
type Options struct {
	// Client sends the requests; default: a client that does not follow redirects (a redirect is a
	// failure: following it could carry the notice, and a token, somewhere else).
	Client *http.Client
	// Timeout bounds one attempt; default 10s.
	Timeout time.Duration
	// MaxAttempts bounds attempts per notice; default 5.
	MaxAttempts int
	// MaxElapsed bounds the time from the first attempt to the start of the last; default 2m. A retry
	// (or a Retry-After) that would start later is not made.
	MaxElapsed time.Duration
	// BaseBackoff is the wait before the first retry; it doubles on each retry up to MaxBackoff.
	// Defaults 500ms and 30s. Each wait is jittered to between half and all of its nominal value.
	BaseBackoff, MaxBackoff time.Duration
	// QueueSize bounds the notices waiting for delivery; default 1024.
	QueueSize int
	// Workers deliver concurrently, so one slow webhook does not hold back the others; default 4.
	Workers int
	// Deliveries counts results; default the package's Deliveries.
	Deliveries *prometheus.CounterVec
	// Log receives one line per failed or dropped notice (host only, never the URL); default discard.
	Log logr.Logger
	// Sleep waits d or until ctx ends (returning its error); Now is the clock for the elapsed budget
	// and Retry-After dates; Jitter returns a number in [0, 1). Tests inject them.
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	Jitter func() float64
}

type item struct {
	u *url.URL
	b Breach
}

// Notifier delivers breach notices. Create it with New, add it to the manager (it is a Runnable that
// runs on the leader only), and Enqueue notices.
type Notifier struct {
	o     Options
	queue chan item
	// mu orders Enqueue against shutdown: Enqueue holds it shared (it never blocks), Start takes it
	// to mark the Notifier stopped and count what is left, so no notice is left uncounted.
	mu      sync.RWMutex
	stopped bool
	dropped atomic.Int64
}

// New returns a Notifier; it delivers once started.
func New(o Options) *Notifier {
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = 2 * time.Minute
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Deliveries == nil {
		o.Deliveries = Deliveries
	}
	if o.Log.GetSink() == nil {
		o.Log = logr.Discard()
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return &Notifier{o: o, queue: make(chan item, o.QueueSize)}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ErrInvalidURL is returned by Enqueue for a URL that is not absolute http(s) with a host. The error
// never quotes the URL.
var ErrInvalidURL = errors.New("the webhook URL must be an absolute http or https URL")

// ParseURL checks a webhook URL as Enqueue does.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ErrInvalidURL
	}
	return u, nil
}

// Enqueue queues a notice for rawURL and returns at once. When the queue is full the oldest waiting
// notice is dropped. It fails only for an unusable URL (counted as failed) or a stopped Notifier
// (counted as dropped).
func (n *Notifier) Enqueue(rawURL string, b Breach) error {
	u, err := ParseURL(rawURL)
	if err != nil {
		n.o.Deliveries.WithLabelValues(ResultFailed).Inc()
		return err
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.stopped {
		n.drop(1)
		return errors.New("the webhook notifier has stopped")
	}
	it := item{u: u, b: b}
	for {
		select {
		case n.queue <- it:
			return nil
		default:
		}
		select {
		case old := <-n.queue:
			// Log the first drop and every hundredth after it, not one line per notice.
			if d := n.drop(1); d == 1 || d%100 == 0 {
				n.o.Log.Info("webhook queue full: dropping the oldest notices", "dropped", d, "queueSize", cap(n.queue),
					"host", old.u.Host, "policy", old.b.Policy)
			}
		default:
		}
	}
}

// Dropped returns how many notices this Notifier dropped (queue full or shutdown).
func (n *Notifier) Dropped() int64 { return n.dropped.Load() }

func (n *Notifier) drop(k int) int64 {
	n.o.Deliveries.WithLabelValues(ResultDropped).Add(float64(k))
	return n.dropped.Add(int64(k))
}

// NeedLeaderElection: only the leader records breaches, so only the leader notifies.
func (n *Notifier) NeedLeaderElection() bool { return true }

// Start delivers queued notices until ctx ends, then returns once every worker has stopped; an
// attempt in flight is cancelled, and notices still queued are counted as dropped.
func (n *Notifier) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range n.o.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case it := <-n.queue:
					n.deliver(ctx, it)
				}
			}
		})
	}
	<-ctx.Done()
	wg.Wait()
	n.mu.Lock()
	n.stopped = true
	left := len(n.queue)
	for range left {
		<-n.queue
	}
	n.mu.Unlock()
	if left > 0 {
		n.drop(left)
		n.o.Log.Info("webhook notifier stopped with notices undelivered", "dropped", left)
	}
	return nil
}

// deliver makes up to MaxAttempts attempts at one notice and counts the result.
func (n *Notifier) deliver(ctx context.Context, it item) {
	body, err := json.Marshal(it.b)
	if err != nil {
		n.o.Deliveries.WithLabelValues(ResultFailed).Inc()
		return
	}
	log := n.o.Log.WithValues("host", it.u.Host, "policy", it.b.Policy, "leadId", it.b.LeadID, "sla", it.b.SLA)
	start := n.o.Now()
	for attempt := 1; ; attempt++ {
		res := n.attempt(ctx, it, body)
		if res.ok {
			n.o.Deliveries.WithLabelValues(ResultDelivered).Inc()
			return
		}
		if ctx.Err() != nil {
			n.drop(1)
			return
		}
		if !res.retry {
			n.o.Deliveries.WithLabelValues(ResultFailed).Inc()
			log.Info("webhook refused the breach notice; not retrying", "attempt", attempt, "problem", res.problem)
			return
		}
		wait := retry.Backoff(attempt, n.o.BaseBackoff, n.o.MaxBackoff, 0.5+0.5*n.o.Jitter())
		if res.retryAfter >= 0 {
			wait = res.retryAfter
		}
		if attempt >= n.o.MaxAttempts || n.o.Now().Add(wait).Sub(start) > n.o.MaxElapsed {
			n.o.Deliveries.WithLabelValues(ResultFailed).Inc()
			log.Info("giving up on a breach notice", "attempts", attempt, "problem", res.problem)
			return
		}
		log.V(1).Info("retrying a breach notice", "attempt", attempt, "wait", wait.String(), "problem", res.problem)
		if n.o.Sleep(ctx, wait) != nil {
			n.drop(1)
			return
		}
	}
}

type result struct {
	ok, retry  bool
	retryAfter time.Duration // < 0: none given
	problem    string        // for the log: never the URL
}

func (n *Notifier) attempt(ctx context.Context, it item, body []byte) result {
	ctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, it.u.String(), bytes.NewReader(body))
	if err != nil {
		return result{problem: "building the request failed", retryAfter: -1}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leadops-notify/1")
	req.Header.Set("Idempotency-Key", it.b.Key())
	resp, err := n.o.Client.Do(req)
	if err != nil {
		// *url.Error quotes the URL (query string included): report only what went wrong underneath.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return result{retry: true, retryAfter: -1, problem: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return result{ok: true}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return result{retry: true, retryAfter: n.retryAfter(resp.Header.Get("Retry-After")), problem: resp.Status}
	default:
		return result{retryAfter: -1, problem: resp.Status}
	}
}

// retryAfter parses a Retry-After header (retry.RetryAfter); -1 when absent or unusable.
func (n *Notifier) retryAfter(v string) time.Duration {
	if d, ok := retry.RetryAfter(v, n.o.Now()); ok {
		return d
	}
	return -1
}

package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/retry"
	"github.com/leadops/leadops/internal/store"
)

// Feed is what a Deliverer reads from the lead store: the audit-event feed, its saved position, and
// change notifications to wake up on.
type Feed interface {
	EventsAfter(ctx context.Context, q store.FeedQuery) (store.FeedPage, error)
	LoadCursor(ctx context.Context, consumer string) (string, error)
	SaveCursor(ctx context.Context, consumer, position string) error
	Subscribe(ctx context.Context) (<-chan store.Change, error)
}

// LeadReader reads a lead, for personal data and for the policy of events whose data names none, and
// its audit log, for breach notices (BreachNotice).
type LeadReader interface {
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	Audit(ctx context.Context, leadID string) ([]store.AuditEvent, error)
}

// Options tune delivery; zero values take the defaults.
type Options struct {
	// Client sends the requests; default: one that does not follow redirects.
	Client *http.Client
	// Timeout bounds one attempt; default 10s.
	Timeout time.Duration
	// BaseBackoff and MaxBackoff shape the retry waits (Backoff); defaults 1s and 5m.
	BaseBackoff, MaxBackoff time.Duration
	// MaxRetryAfter caps a receiver's Retry-After; default 1h.
	MaxRetryAfter time.Duration
	// Poll is the backstop: the feed is read this often even without a change notification; default 30s.
	Poll time.Duration
	// PageSize is how many events one feed read returns. Positions exist between pages only, so it is
	// also how many acknowledged events a restart may send again. Default 1: only the one in flight.
	PageSize int
	// SaveEvery, when positive, spaces the saves of the position while events flow: a crash (not a
	// stop: the position is saved as delivery stops, and once caught up) may then send the events
	// acknowledged in the last SaveEvery again. Default 0: saved after every page, which costs about
	// 15% of the throughput against a local receiver (BenchmarkDeliver) and nothing noticeable
	// against a remote one.
	SaveEvery time.Duration
	// Metrics default to DefaultMetrics.
	Metrics *Metrics
	// Log gets the subscription's name and its URL's host, never the URL.
	Log logr.Logger
	// Clock stamps webhook-timestamp and measures lag; Sleep waits (returning ctx's error when it
	// ends first); Jitter returns a number in [0, 1). Tests inject them.
	Clock  clock.Clock
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
}

// DefaultMetrics are the metrics of Deliverers whose Options name none; main registers them.
var DefaultMetrics = NewMetrics()

func (o Options) withDefaults() Options {
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = 30 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 1
	}
	if o.Metrics == nil {
		o.Metrics = DefaultMetrics
	}
	if o.Log.GetSink() == nil {
		o.Log = logr.Discard()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		o.Jitter = randFloat
	}
	return o
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

// Consumer is the feed consumer name under which a subscription's position is saved.
func Consumer(subscription string) string { return "subscription/" + subscription }

// DisabledKey is the consumer name under which a subscription disabled by a 410 is remembered: the
// value is the subscription's Target, so a restart keeps it disabled and a change of its target
// (URL, types, policies, personalData, source) enables it again.
func DisabledKey(subscription string) string { return Consumer(subscription) + "/disabled" }

// Deliverer delivers one subscription's events, in feed order, each until acknowledged.
type Deliverer struct {
	sub   Subscription
	feed  Feed
	leads LeadReader
	o     Options
	log   logr.Logger
}

// NewDeliverer returns the Deliverer of sub.
func NewDeliverer(sub Subscription, feed Feed, leads LeadReader, o Options) *Deliverer {
	o = o.withDefaults()
	return &Deliverer{sub: sub, feed: feed, leads: leads, o: o,
		log: o.Log.WithValues("subscription", sub.Name, "host", sub.URL.Host)}
}

// errGone stops a Deliverer whose endpoint answered 410.
var errGone = errors.New("the endpoint answered 410 Gone")

// Run delivers until ctx ends or the endpoint answers 410 Gone (then the subscription is recorded as
// disabled and Run waits for ctx). Store errors are retried with backoff: Run returns only ctx's end.
func (d *Deliverer) Run(ctx context.Context) error {
	name := d.sub.Name
	m := d.o.Metrics
	for attempt := 1; ; attempt++ {
		err := d.run(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errGone):
			m.Disabled.WithLabelValues(name).Set(1)
			m.Lag.WithLabelValues(name).Set(0)
			<-ctx.Done()
			return nil
		}
		wait := retry.Backoff(attempt, d.o.BaseBackoff, d.o.MaxBackoff, d.o.Jitter())
		d.log.Error(err, "event delivery interrupted; retrying", "wait", wait.String())
		if d.o.Sleep(ctx, wait) != nil {
			return nil
		}
	}
}

func (d *Deliverer) run(ctx context.Context) error {
	// The change subscription lives as long as this run: Run calls run again after an error.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	name, m := d.sub.Name, d.o.Metrics
	mark, err := d.feed.LoadCursor(ctx, DisabledKey(name))
	if err != nil {
		return fmt.Errorf("reading whether subscription %s is disabled: %w", name, err)
	}
	switch mark {
	case d.sub.Target():
		d.log.Info("subscription stays disabled: its endpoint answered 410 Gone; change its url, types, policies or personalData to enable it again")
		return errGone
	case "":
	default:
		if err := d.feed.SaveCursor(ctx, DisabledKey(name), ""); err != nil {
			return fmt.Errorf("enabling subscription %s again: %w", name, err)
		}
		d.log.Info("subscription enabled again: its target changed since its endpoint answered 410 Gone")
	}
	m.Disabled.WithLabelValues(name).Set(0)
	changes, err := d.feed.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("subscribing to lead changes: %w", err)
	}
	cursor, err := d.feed.LoadCursor(ctx, Consumer(name))
	if err != nil {
		return fmt.Errorf("reading subscription %s's position: %w", name, err)
	}
	// The position after the acknowledged events is saved at most every SaveEvery while events flow,
	// and always once caught up and when the run ends (even as ctx ends: those events were
	// acknowledged, and a restart should not send them again).
	pending, lastSave := "", d.o.Clock.Now()
	flush := func() error {
		if pending == "" {
			return nil
		}
		saveCtx, cancelSave := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancelSave()
		if err := d.feed.SaveCursor(saveCtx, Consumer(name), pending); err != nil {
			return fmt.Errorf("saving subscription %s's position: %w", name, err)
		}
		pending, lastSave = "", d.o.Clock.Now()
		return nil
	}
	defer func() {
		if err := flush(); err != nil {
			d.log.Error(err, "the position of the last acknowledged events is not saved; a restart sends them again")
		}
	}()
	poll := time.NewTicker(d.o.Poll)
	defer poll.Stop()
	// With no saved position, a subscription with NotBefore skips the older events, a large page at a time.
	skipping := cursor == "" && !d.sub.NotBefore.IsZero()
	for {
		limit := d.o.PageSize
		if skipping {
			limit = store.MaxFeedPageSize
		}
		page, err := d.feed.EventsAfter(ctx, store.FeedQuery{After: cursor, Types: d.sub.FeedTypes(), Limit: limit})
		if errors.Is(err, store.ErrCursorExpired) {
			d.log.Info("the saved position is not served by this store (another store, or expired): delivering from the first event again")
			cursor = ""
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the event feed: %w", err)
		}
		for _, ev := range page.Events {
			if skipping && ev.At.Before(d.sub.NotBefore) {
				m.Deliveries.WithLabelValues(name, "skipped").Inc()
				continue
			}
			skipping = false
			if err := d.deliver(ctx, ev); err != nil {
				return err
			}
		}
		if len(page.Events) == 0 {
			skipping = false
		}
		advanced := page.Next != "" && page.Next != cursor
		if advanced {
			cursor, pending = page.Next, page.Next
		}
		if len(page.Events) > 0 || advanced {
			if d.o.Clock.Now().Sub(lastSave) >= d.o.SaveEvery {
				if err := flush(); err != nil {
					return err
				}
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		m.Lag.WithLabelValues(name).Set(0)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-changes:
			if !ok {
				return errors.New("the lead store's change notifications stopped")
			}
		case <-poll.C:
		}
	}
}

// deliver sends one event until the endpoint acknowledges it; errGone when it answers 410, ctx's error
// when ctx ends, a store error when the lead cannot be read.
func (d *Deliverer) deliver(ctx context.Context, ev store.AuditEvent) error {
	name, m := d.sub.Name, d.o.Metrics
	if !d.sub.Wants(ev.Type) {
		return nil
	}
	var l *lead.Lead
	needLead := d.sub.PersonalData
	policy, _ := ev.Data["policy"].(string)
	if len(d.sub.Policies) > 0 && policy == "" {
		needLead = true
	}
	if needLead {
		var err error
		l, err = d.leads.GetLead(ctx, ev.LeadID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			l = nil
		case err != nil:
			return fmt.Errorf("reading lead %s of event %d: %w", ev.LeadID, ev.ID, err)
		}
		if policy == "" && l != nil {
			policy = l.Policy
		}
	}
	if len(d.sub.Policies) > 0 && !slices.Contains(d.sub.Policies, policy) {
		m.Deliveries.WithLabelValues(name, "filtered").Inc()
		return nil
	}
	body, header, err := d.render(ctx, ev, l)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(ev.ID, 10)
	log := d.log.WithValues("eventId", id, "leadId", ev.LeadID, "type", ev.Type)
	for attempt := 1; ; attempt++ {
		m.Lag.WithLabelValues(name).Set(max(d.o.Clock.Now().Sub(ev.At).Seconds(), 0))
		out, retryAfter, problem := d.attempt(ctx, id, body, header)
		m.Attempts.WithLabelValues(name, string(out)).Inc()
		switch out {
		case OutcomeDelivered:
			m.Deliveries.WithLabelValues(name, "delivered").Inc()
			return nil
		case OutcomeGone:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			m.Deliveries.WithLabelValues(name, "gone").Inc()
			if err := d.feed.SaveCursor(ctx, DisabledKey(name), d.sub.Target()); err != nil {
				// Not remembered: the next start tries again and meets the 410 again.
				log.Error(err, "could not record the subscription as disabled")
			}
			log.Info("subscription disabled: its endpoint answered 410 Gone; change its url, types, policies or personalData to enable it again")
			return errGone
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := retry.Backoff(attempt, d.o.BaseBackoff, d.o.MaxBackoff, d.o.Jitter())
		if retryAfter >= 0 {
			wait = min(retryAfter, d.o.MaxRetryAfter)
		}
		// One line for the first failure and every tenth after it, not one per attempt.
		if attempt == 1 || attempt%10 == 0 {
			log.Info("event not delivered; retrying", "attempt", attempt, "problem", problem, "wait", wait.String())
		}
		if err := d.o.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// render makes the body and the headers of every attempt at ev; l is the lead when it was read.
func (d *Deliverer) render(ctx context.Context, ev store.AuditEvent, l *lead.Lead) ([]byte, http.Header, error) {
	h := http.Header{}
	if d.sub.Format == FormatBreachNotice {
		audit, err := d.leads.Audit(ctx, ev.LeadID)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the audit log of lead %s for breach event %d: %w", ev.LeadID, ev.ID, err)
		}
		n := BreachNotice(ev, audit)
		body, err := json.Marshal(n)
		if err != nil {
			return nil, nil, fmt.Errorf("rendering breach event %d: %w", ev.ID, err)
		}
		// The headers the in-memory breach notifier (internal/webhook) sent.
		h.Set("Content-Type", "application/json")
		h.Set("User-Agent", "leadops-notify/1")
		h.Set("Idempotency-Key", n.Key())
		return body, h, nil
	}
	var personal *lead.Lead
	if d.sub.PersonalData {
		personal = l
		if personal == nil {
			personal = &lead.Lead{} // the lead is gone: deliver the event, with no personal data left to send
		}
	}
	body, err := NewEnvelope(d.sub.Source, ev, personal).Body()
	if err != nil {
		return nil, nil, err
	}
	h.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	h.Set("User-Agent", "leadops-events/1")
	return body, h, nil
}

// attempt makes one POST. retryAfter is < 0 unless the response asked for a wait. problem never holds
// the URL.
func (d *Deliverer) attempt(ctx context.Context, id string, body []byte, header http.Header) (out Outcome, retryAfter time.Duration, problem string) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.sub.URL.String(), bytes.NewReader(body))
	if err != nil {
		return OutcomeNetwork, -1, "building the request failed"
	}
	for k, v := range header {
		req.Header[k] = v
	}
	ts := d.o.Clock.Now().Unix()
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if len(d.sub.Secrets) > 0 {
		req.Header.Set(HeaderSignature, Sign(id, ts, body, d.sub.Secrets))
	}
	resp, err := d.o.Client.Do(req)
	if err != nil {
		// *url.Error quotes the URL (query string included): keep only what went wrong underneath.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return OutcomeNetwork, -1, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	out = Classify(resp.StatusCode)
	retryAfter = -1
	if out == OutcomeRateLimited || out == OutcomeServerError {
		if w, ok := retry.RetryAfter(resp.Header.Get("Retry-After"), d.o.Clock.Now()); ok {
			retryAfter = w
		}
	}
	return out, retryAfter, resp.Status
}

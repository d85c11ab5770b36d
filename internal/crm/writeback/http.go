package writeback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/retry"
)

// maxBody bounds what is read of a CRM's response: a batch answer of 200 records is far smaller.
const maxBody = 8 << 20

// api sends a connection's requests: through its token bucket, waiting out rate limits (429 and 503
// with Retry-After, or whatever rateLimited recognises), retrying 5xx and network errors with
// backoff and jitter. Any other answer goes back to the caller to interpret.
type api struct {
	conn    string
	client  *http.Client
	limiter *rate.Limiter
	clock   clock.Clock
	// sleep waits d or until ctx ends; tests replace it to observe the waits.
	sleep func(ctx context.Context, d time.Duration) error
	// backoff is the first retry's wait; each further retry doubles it, up to maxBackoff.
	backoff, maxBackoff time.Duration
	// retries is how many times a 5xx or network error is retried before the call fails.
	retries int
	// rateLimitWaits is how many rate-limit answers in a row one call waits out before it fails
	// (the worker then retries the batch later: a rate limit is never a record's failure).
	rateLimitWaits int
}

// response is a CRM's answer: status, headers, and the body read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// errRateLimited is wrapped by the error of a call that met rate limits rateLimitWaits times.
var errRateLimited = errors.New("rate limited by the CRM")

// do sends the request newReq builds (once per attempt, so the body can be re-read).
func (a *api) do(ctx context.Context, newReq func(context.Context) (*http.Request, error), rateLimited func(response) bool) (response, error) {
	failures, limited := 0, 0
	for {
		if err := a.limiter.Wait(ctx); err != nil {
			return response{}, fmt.Errorf("waiting for the request budget of connection %s: %w", a.conn, err)
		}
		req, err := newReq(ctx)
		if err != nil {
			return response{}, err
		}
		resp, err := a.client.Do(req)
		var r response
		if err == nil {
			r.Status, r.Header = resp.StatusCode, resp.Header
			r.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
			_ = resp.Body.Close()
		}
		if err != nil {
			// A *url.Error repeats the whole URL, query included (a Salesforce User query holds an
			// email): keep only the cause.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			apiRequestsTotal.WithLabelValues(a.conn, "error").Inc()
			if ctx.Err() != nil {
				return response{}, ctx.Err()
			}
			if failures >= a.retries {
				return response{}, fmt.Errorf("calling the CRM API of connection %s (%s %s): %w", a.conn, req.Method, req.URL.Path, err)
			}
			failures++
			if err := a.sleep(ctx, a.backoffFor(failures)); err != nil {
				return response{}, err
			}
			continue
		}
		apiRequestsTotal.WithLabelValues(a.conn, strconv.Itoa(r.Status)).Inc()
		switch {
		case r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable || (rateLimited != nil && rateLimited(r)):
			limited++
			if limited > a.rateLimitWaits {
				return r, fmt.Errorf("connection %s: HTTP %d %d times in a row: %w", a.conn, r.Status, limited, errRateLimited)
			}
			wait, ok := retryAfter(r.Header.Get("Retry-After"), a.clock.Now())
			if !ok {
				wait = a.backoffFor(limited)
			}
			if err := a.sleep(ctx, wait); err != nil {
				return response{}, err
			}
		case r.Status >= 500:
			if failures >= a.retries {
				return r, fmt.Errorf("the CRM API of connection %s answered HTTP %d to %s %s after %d retries", a.conn, r.Status, req.Method, req.URL.Path, failures)
			}
			failures++
			if err := a.sleep(ctx, a.backoffFor(failures)); err != nil {
				return response{}, err
			}
		default:
			return r, nil
		}
	}
}

// backoffFor is the wait before retry n (1-based): exponential, capped, with jitter in [d/2, d] so
// that replicas and connections do not retry in step.
func (a *api) backoffFor(n int) time.Duration {
	return retry.Backoff(n, a.backoff, a.maxBackoff, 0.5+0.5*rand.Float64())
}

// maxRetryAfter caps a Retry-After so a bogus header cannot park a connection for days.
const maxRetryAfter = 10 * time.Minute

// retryAfter reads a Retry-After header (retry.RetryAfter), capped at maxRetryAfter.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	d, ok := retry.RetryAfter(h, now)
	return min(d, maxRetryAfter), ok
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package events

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is the wait before retry number attempt (1 for the first retry): exponential with full
// jitter, a uniformly random share (jitter in [0, 1)) of min(maxWait, base·2^(attempt-1)). Full jitter
// spreads the retries of many deliverers failing together (one receiver down) instead of having them
// come back in step.
func Backoff(attempt int, base, maxWait time.Duration, jitter float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	ceil := maxWait
	if exp := attempt - 1; exp < 62 {
		if d := float64(base) * math.Pow(2, float64(exp)); d < float64(maxWait) {
			ceil = time.Duration(d)
		}
	}
	return time.Duration(float64(ceil) * jitter)
}

// RetryAfter reads a Retry-After header (delay-seconds or an HTTP date, RFC 9110 §10.2.3) as a wait
// from now; ok is false when the header is absent or unusable.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > math.MaxInt64/int64(time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Outcome classifies one delivery attempt; its value is the attempts metric's result label.
type Outcome string

const (
	OutcomeDelivered   Outcome = "delivered"    // 2xx: acknowledged
	OutcomeGone        Outcome = "gone"         // 410: the receiver asks to stop; the subscription is disabled
	OutcomeRateLimited Outcome = "rate_limited" // 429: retried, after Retry-After when given
	OutcomeServerError Outcome = "server_error" // 5xx: retried, after Retry-After when given
	OutcomeClientError Outcome = "client_error" // other 4xx, and 1xx/3xx: retried (see Classify)
	OutcomeNetwork     Outcome = "network_error"
)

// Classify maps a response status to an outcome. Every non-2xx but 410 is retried, as the Standard
// Webhooks guidance says: delivery is at least once, so an event is never dropped because a receiver
// refused it; the subscription waits (its lag grows, its client_error attempts count) until the
// receiver accepts it, answers 410, or the subscription is changed or removed. A redirect is not
// followed (it could carry the event, and a token, elsewhere) and counts as a client error.
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return OutcomeDelivered
	case status == http.StatusGone:
		return OutcomeGone
	case status == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case status >= 500:
		return OutcomeServerError
	default:
		return OutcomeClientError
	}
}

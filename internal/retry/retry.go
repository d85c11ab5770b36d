// Package retry holds the two rules every outgoing HTTP delivery of leadops follows (event webhooks,
// breach webhooks, CRM write-back): how long to back off before the next attempt, and how to read a
// receiver's Retry-After. Pure functions; the callers bring the clock and the randomness.
package retry

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is the wait before retry number attempt (1 for the first retry): a share jitter (in [0, 1])
// of min(maxWait, base·2^(attempt-1)). Callers pick the jitter: a uniform draw gives full jitter, which
// spreads the retries of many senders failing together instead of having them come back in step;
// 0.5 + 0.5·draw keeps at least half of the exponential wait.
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
	return time.Duration(float64(ceil) * min(max(jitter, 0), 1))
}

// RetryAfter reads a Retry-After header (delay-seconds or an HTTP date, RFC 9110 §10.2.3) as a wait
// from now; ok is false when the header is absent or unusable. A date in the past waits 0.
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

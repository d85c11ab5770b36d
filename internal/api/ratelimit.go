package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Each token has its own token bucket (golang.org/x/time/rate), so a flood from one caller (a
// misbehaving form handler, a runaway script) spends only its own bucket: the others' requests are
// answered as before. The bucket is keyed by the token's name and kept across reloads of the token file
// while its limits stay the same, so rewriting the file does not refill a flooding token's bucket.
//
// Unauthenticated requests have no bucket here; they are refused before any work is done, and the
// server-wide overload limits cover them.

// limiters holds the buckets by token name.
type limiters struct {
	defLimit rate.Limit
	defBurst int
	now      func() time.Time

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	limit rate.Limit
	burst int
	l     *rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	lim := rate.Limit(perSecond)
	if perSecond <= 0 {
		lim = rate.Inf
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	return &limiters{defLimit: lim, defBurst: burst, now: time.Now, m: map[string]*bucket{}}
}

// limitsFor resolves a token's limits: its own rate=/burst=, else the server's defaults.
func (ls *limiters) limitsFor(t *token) (rate.Limit, int) {
	lim, burst := ls.defLimit, ls.defBurst
	if t.hasRate {
		lim = t.rate
		if lim == 0 {
			lim = rate.Inf
		}
		if t.burst == 0 {
			burst = max(1, int(math.Ceil(float64(t.rate))))
		}
	}
	if t.burst > 0 {
		burst = t.burst
	}
	return lim, burst
}

// allow takes one request from the token's bucket; when the bucket is empty it returns how long until
// a request would be allowed.
func (ls *limiters) allow(t *token) (bool, time.Duration) {
	lim, burst := ls.limitsFor(t)
	if lim == rate.Inf {
		return true, 0
	}
	ls.mu.Lock()
	b := ls.m[t.name]
	if b == nil || b.limit != lim || b.burst != burst {
		b = &bucket{limit: lim, burst: burst, l: rate.NewLimiter(lim, burst)}
		ls.m[t.name] = b
	}
	ls.mu.Unlock()
	now := ls.now()
	if b.l.AllowN(now, 1) {
		return true, 0
	}
	// Reserve-and-cancel tells when the next token arrives without spending it.
	res := b.l.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	return false, wait
}

// prune drops the buckets of tokens no longer in the file.
func (ls *limiters) prune(set *tokenSet) {
	keep := make(map[string]bool, len(set.tokens))
	for _, t := range set.tokens {
		keep[t.name] = true
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for name := range ls.m {
		if !keep[name] {
			delete(ls.m, name)
		}
	}
}

// tooManyRequests is the 429 with Retry-After in whole seconds, rounded up (at least 1).
func tooManyRequests(w http.ResponseWriter, t *token, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, &apiError{status: http.StatusTooManyRequests, msg: fmt.Sprintf(
		"the token %q is over its rate limit; retry after %d s (limits are per token: rate= and burst= in the token file, "+
			"or the server's --api-rate-limit and --api-rate-burst)", t.name, secs)})
}

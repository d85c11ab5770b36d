package api

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Overload protection: at most MaxInFlight write requests (POST, PUT, PATCH, DELETE) are served at
// once; a request over the limit waits up to MaxQueueWait for a slot, and at most QueueFactor times
// MaxInFlight requests wait at all. Whatever does not get a slot is answered at once with 503 and
// Retry-After, before its body is read. A write holds its whole body and its decoded leads in memory,
// so bounding the writes in flight bounds the API's memory (about MaxInFlight × the body limit at
// worst) whatever the offered load; the waiting requests hold only their connection. Reads are not
// limited: they are small, and a long poll of the event feed would otherwise hold a slot for a minute.
// The per-token rate limits (429) are the fairness between clients; this is the server's own ceiling.

// Defaults for the overload Options left zero.
const (
	// DefaultMaxInFlight is small because the store serializes most of a write anyway (SQLite has one
	// writer; a PostgreSQL batch is one transaction): more concurrent writes add latency, not throughput.
	DefaultMaxInFlight = 16
	// DefaultMaxQueueWait is how long a write waits for a slot before it gets 503: long enough to ride
	// out a burst, short enough that a caller's own timeout has not fired.
	DefaultMaxQueueWait = time.Second
	// queueFactor bounds the waiting requests to queueFactor × MaxInFlight.
	queueFactor = 4
	// overloadRetryAfter is the Retry-After of an overload 503.
	overloadRetryAfter = time.Second
)

// overload is the write-request semaphore.
type overload struct {
	slots    chan struct{}
	wait     time.Duration
	maxQueue int64
	queued   atomic.Int64
	// rejected counts the 503s, for tests and the log.
	rejected atomic.Int64
}

func newOverload(maxInFlight int, wait time.Duration) *overload {
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	if wait <= 0 {
		wait = DefaultMaxQueueWait
	}
	return &overload{slots: make(chan struct{}, maxInFlight), wait: wait, maxQueue: int64(queueFactor * maxInFlight)}
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// admit takes a slot for a write request and returns the function that gives it back; when no slot
// frees up in time it answers 503 with Retry-After itself and returns ok false. Other methods pass.
func (o *overload) admit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if o == nil || !isWrite(r.Method) {
		return func() {}, true
	}
	select {
	case o.slots <- struct{}{}:
		return o.release, true
	default:
	}
	if o.queued.Add(1) > o.maxQueue {
		o.queued.Add(-1)
		o.reject(w)
		return nil, false
	}
	defer o.queued.Add(-1)
	t := time.NewTimer(o.wait)
	defer t.Stop()
	select {
	case o.slots <- struct{}{}:
		return o.release, true
	case <-t.C:
	case <-r.Context().Done(): // the client went away: nobody reads the answer
	}
	o.reject(w)
	return nil, false
}

func (o *overload) release() { <-o.slots }

func (o *overload) reject(w http.ResponseWriter) {
	o.rejected.Add(1)
	w.Header().Set("Retry-After", strconv.Itoa(int(overloadRetryAfter/time.Second)))
	writeError(w, &apiError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf(
		"the lead API is serving its limit of %d write requests at once and none finished within %s; "+
			"retry after %d s (the server's --api-max-inflight and --api-max-queue-wait)",
		cap(o.slots), o.wait, int(overloadRetryAfter/time.Second))})
}

package controllers

import (
	"sync"
	"time"
)

// throttle paces an action per key on real time: the first goes at once, those that follow within the
// interval fold into one that goes when it ends, so the action is never more than the interval behind
// the last request. Status nudges and aggregated Events both pace their output with it.
type throttle[K comparable] struct {
	interval time.Duration

	mu sync.Mutex
	// last is when the key's action last went; waiting marks one scheduled for the end of the interval.
	last    map[K]time.Time
	waiting map[K]bool
}

// do runs fire now (in its own goroutine when async), or at the end of the key's interval unless a run
// is already scheduled then: that run covers this request too, and fire is dropped.
func (t *throttle[K]) do(k K, async bool, fire func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last, t.waiting = map[K]time.Time{}, map[K]bool{}
	}
	if t.waiting[k] {
		return
	}
	now := time.Now()
	if wait := t.last[k].Add(t.interval).Sub(now); wait > 0 {
		t.waiting[k] = true
		time.AfterFunc(wait, func() {
			t.mu.Lock()
			delete(t.waiting, k)
			t.last[k] = time.Now()
			t.mu.Unlock()
			fire()
		})
		return
	}
	t.last[k] = now
	if async {
		go fire()
	} else {
		fire()
	}
}

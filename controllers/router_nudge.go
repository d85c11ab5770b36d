package controllers

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// statusNudgeInterval is how often, at most, the router asks for one object's status to be
// recomputed: each recomputation reads the store's aggregates and writes the status through the API
// server, which at one per routing pass cost more than the routing itself (BenchmarkRoutingLatency).
const statusNudgeInterval = time.Second

// statusNudger throttles status notifications per channel and object: the first goes out at once,
// those that follow within the interval fold into one sent when it ends, so a status is never more
// than the interval behind the last pass that changed it. Keyed by channel and object.
type statusNudger struct {
	interval time.Duration

	mu sync.Mutex
	// last is when the object's last nudge went out; scheduled marks one waiting to go out.
	last      map[nudgeKey]time.Time
	scheduled map[nudgeKey]bool
}

type nudgeKey struct {
	ch  chan event.GenericEvent
	obj types.NamespacedName
}

// send passes obj on to ch now or at the end of the current interval; it never blocks.
func (n *statusNudger) send(ch chan event.GenericEvent, obj client.Object) {
	k := nudgeKey{ch: ch, obj: client.ObjectKeyFromObject(obj)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last == nil {
		n.last, n.scheduled = map[nudgeKey]time.Time{}, map[nudgeKey]bool{}
	}
	if n.scheduled[k] {
		return // the trailing nudge will cover this change too
	}
	now := time.Now()
	if wait := n.last[k].Add(n.interval).Sub(now); wait > 0 {
		n.scheduled[k] = true
		time.AfterFunc(wait, func() {
			n.mu.Lock()
			delete(n.scheduled, k)
			n.last[k] = time.Now()
			n.mu.Unlock()
			offer(ch, obj)
		})
		return
	}
	n.last[k] = now
	offer(ch, obj)
}

// offer sends without blocking: when the channel is full, its reconciler is already due to run.
func offer(ch chan event.GenericEvent, obj client.Object) {
	select {
	case ch <- event.GenericEvent{Object: obj}:
	default:
	}
}

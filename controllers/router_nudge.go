package controllers

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// statusNudgeInterval is how often, at most, the router asks for one object's status to be
// recomputed. Each recomputation reads the store's aggregates and writes the status through the API
// server; at a steady trickle of leads, one per routing pass (a policy and every team it routed to,
// dozens of times a second) cost more than the routing and tripled its latency: p50 4 → 15 ms,
// p99 15-45 → 100-170 ms in BenchmarkRoutingLatency on PostgreSQL.
const statusNudgeInterval = time.Second

// nudges throttles the router's status notifications per channel and object: the first goes out at
// once, those that follow within statusNudgeInterval fold into one sent when it ends, so a status is
// never more than the interval behind the last pass that changed it. Keyed by channel, so the
// managers of one process (tests start many) never share an entry.
var nudges = &statusNudger{interval: statusNudgeInterval}

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

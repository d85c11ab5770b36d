package controllers

import (
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
	throttle[nudgeKey]
}

type nudgeKey struct {
	ch  chan event.GenericEvent
	obj types.NamespacedName
}

// send passes obj on to ch now or at the end of the current interval; it never blocks.
func (n *statusNudger) send(ch chan event.GenericEvent, obj client.Object) {
	n.do(nudgeKey{ch: ch, obj: client.ObjectKeyFromObject(obj)}, false, func() { offer(ch, obj) })
}

// offer sends without blocking: when the channel is full, its reconciler is already due to run.
func offer(ch chan event.GenericEvent, obj client.Object) {
	select {
	case ch <- event.GenericEvent{Object: obj}:
	default:
	}
}

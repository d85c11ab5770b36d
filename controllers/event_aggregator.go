package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// eventInterval is how often, at most, one policy gets an Event of one reason. Routing passes run many
// times a second under load; one Event each flooded `kubectl get events` (13 in two seconds for 30
// breaches), so counts of the passes within an interval are summed into one Event.
const eventInterval = 10 * time.Second

// eventAggregator emits per-policy Events with counts summed over eventInterval: the first of a
// (policy, reason) goes out at once, those that follow within the interval fold into one Event sent
// when it ends. Like the status nudges, it runs on real time: it paces output, it decides nothing.
type eventAggregator struct {
	Client   client.Reader
	Recorder events.EventRecorder
	Interval time.Duration

	once    sync.Once
	pace    throttle[eventKey]
	mu      sync.Mutex
	pending map[eventKey]*eventTally
	// sentAt is the policy's resourceVersion when its last Event of a reason went out. client-go's
	// recorder keys Events by the object reference, resourceVersion included, and folds an Event
	// whose key it sent in the last minutes into a series of the old one: count 2, the old note, the
	// new counts lost. The resourceVersion stays put while the status cannot be written (the API
	// server is down), so an Event is held back until it moves; see emit.
	sentAt map[eventKey]string
}

// maxHeld is how long an Event waits for its policy's resourceVersion to move before it goes out
// anyway: client-go forgets an Event it sent after 6 minutes, so one held that long goes out as a
// new Event, not as a series.
const maxHeld = 6 * time.Minute

type eventKey struct {
	policy types.NamespacedName
	reason string
}

// eventTally is what one Event says: counts by what happened, in the order render lists them.
type eventTally struct {
	eventType, action string
	counts            map[string]int64
	// extra is free text from the latest occurrence (an error message, say).
	extra  string
	render func(counts map[string]int64, extra string, window time.Duration) string
	since  time.Time
}

// add records counts for a policy's Event of reason; render turns the summed counts into the note.
func (a *eventAggregator) add(policy types.NamespacedName, reason, eventType, action string, counts map[string]int64, extra string,
	render func(map[string]int64, string, time.Duration) string) {
	if a == nil || a.Recorder == nil {
		return
	}
	a.once.Do(func() {
		a.pace.interval = a.Interval
		if a.pace.interval <= 0 {
			a.pace.interval = eventInterval
		}
		a.pending = map[eventKey]*eventTally{}
		a.sentAt = map[eventKey]string{}
	})
	k := eventKey{policy: policy, reason: reason}
	a.mu.Lock()
	t := a.pending[k]
	if t == nil {
		t = &eventTally{eventType: eventType, action: action, counts: map[string]int64{}, render: render, since: time.Now()}
		a.pending[k] = t
	}
	for what, n := range counts {
		t.counts[what] += n
	}
	if extra != "" {
		t.extra = extra
	}
	a.mu.Unlock()
	// The Event carries every count added until it goes out.
	a.pace.do(k, true, func() { a.flush(k) })
}

// flush sends the pending Event of k, or, while the policy's resourceVersion is the one its last
// Event went out with, keeps it pending for another interval.
func (a *eventAggregator) flush(k eventKey) {
	obj := &leadopsv1.LeadPolicy{}
	// The recorder needs the object's UID to attach the Event; read it from the cache.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.Client.Get(ctx, k.policy, obj)
	a.mu.Lock()
	t := a.pending[k]
	if t == nil {
		a.mu.Unlock()
		return
	}
	if err == nil && obj.ResourceVersion == a.sentAt[k] && time.Since(t.since) < maxHeld {
		a.mu.Unlock()
		a.pace.do(k, true, func() { a.flush(k) })
		return
	}
	delete(a.pending, k)
	if err == nil {
		a.sentAt[k] = obj.ResourceVersion
	}
	a.mu.Unlock()
	if err != nil {
		return
	}
	a.Recorder.Eventf(obj, nil, t.eventType, k.reason, t.action, "%s", t.render(t.counts, t.extra, time.Since(t.since)))
}

// countsNote renders counts as "3 routed, 1 queued" in the order of labels, skipping zeros.
func countsNote(counts map[string]int64, labels ...string) string {
	var parts []string
	for _, l := range labels {
		if n := counts[l]; n > 0 {
			parts = append(parts, formatCount(n, l))
		}
	}
	if len(parts) == 0 {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, formatCount(counts[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

func formatCount(n int64, what string) string { return fmt.Sprintf("%d %s", n, what) }

// overWindow says over which time the counts of an aggregated Event were summed.
func overWindow(window time.Duration) string {
	if window < time.Second {
		return ""
	}
	return " in the last " + window.Round(time.Second).String()
}

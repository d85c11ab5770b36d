package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// TestEventHeldWhileResourceVersionStands: an aggregated Event whose policy has not changed since
// the previous Event (its status could not be written: the API server is down) waits, because
// client-go would fold it into a series of the previous one and drop its counts; once the policy
// changes, it goes out with everything summed.
func TestEventHeldWhileResourceVersionStands(t *testing.T) {
	p := &leadopsv1.LeadPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: "inbound"}}
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(p).WithStatusSubresource(p).Build()
	rec := events.NewFakeRecorder(10)
	a := &eventAggregator{Client: c, Recorder: rec, Interval: 50 * time.Millisecond}
	key := types.NamespacedName{Namespace: "sales", Name: "inbound"}
	add := func(n int64) {
		a.add(key, "Routed", "Normal", "Route", map[string]int64{"routed": n}, "", func(c map[string]int64, _ string, _ time.Duration) string {
			return countsNote(c, "routed")
		})
	}
	next := func(within time.Duration) string {
		select {
		case ev := <-rec.Events:
			return ev
		case <-time.After(within):
			return ""
		}
	}

	add(1)
	if ev := next(time.Second); !strings.HasSuffix(ev, "1 routed") {
		t.Fatalf("first Event %q, want it at once with 1 routed", ev)
	}
	add(2)
	add(3)
	if ev := next(300 * time.Millisecond); ev != "" {
		t.Fatalf("Event %q sent while the policy's resourceVersion had not moved", ev)
	}
	// The status is written again: the resourceVersion moves.
	if err := c.Get(context.Background(), key, p); err != nil {
		t.Fatal(err)
	}
	p.Status.Routed = 6
	if err := c.Status().Update(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if ev := next(time.Second); !strings.HasSuffix(ev, "5 routed") {
		t.Fatalf("held Event %q, want the summed 5 routed once the policy changed", ev)
	}
}

package changefeed

import (
	"context"
	"testing"
	"time"
)

func TestHubDeliversCoalescesAndCloses(t *testing.T) {
	var h Hub
	ctx, cancel := context.WithCancel(context.Background())
	ch := h.Subscribe(ctx)
	// A subscriber that does not read yet must not block publishers.
	for i := 0; i < 1000; i++ {
		h.Publish("a", "b")
	}
	got := map[string]int{}
	timeout := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case c := <-ch:
			got[c.LeadID]++
		case <-timeout:
			t.Fatalf("got %v", got)
		}
	}
	// Coalescing is per pending id: a and b may come once more (their last publish raced the
	// delivery), but never more than that before c.
	h.Publish("c")
	extra := 0
	for done := false; !done; {
		select {
		case c := <-ch:
			if c.LeadID == "c" {
				done = true
				continue
			}
			if extra++; extra > 2 {
				t.Fatalf("more than one late duplicate of a and b: %q", c.LeadID)
			}
		case <-timeout:
			t.Fatal("no delivery of c")
		}
	}
	cancel()
	for range ch { // must close
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
}

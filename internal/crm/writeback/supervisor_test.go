package writeback

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/crm"
)

func TestSupervisorFollowsTheConfiguration(t *testing.T) {
	hs := newFakeHubSpot(t)
	feed := newMemFeed()
	feed.route("l1", "hubspot:contact:1", "ana", "sales/t", "sales/p", t0)
	conn := connection(t, crm.HubSpot, hs.srv.URL, 100)
	disabled := conn
	disabled.WriteBack = &crm.WriteBackConfig{Enabled: false}
	var cfg atomic.Pointer[crm.Config]
	cfg.Store(&crm.Config{Connections: []crm.Connection{disabled}})
	var started atomic.Int32
	s := &Supervisor{Config: cfg.Load, Interval: 10 * time.Millisecond, Log: logr.Discard(),
		NewWorker: func(c crm.Connection) *Worker {
			started.Add(1)
			w, _ := newWorker(t, c, feed, nil, nil)
			w.Poll = 10 * time.Millisecond
			return w
		}}
	ctx, cancel := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if _, n := hs.written("1"); n != 0 || started.Load() != 0 {
		t.Fatalf("write-back ran for a disabled connection: %d writes, %d workers", n, started.Load())
	}
	cfg.Store(&crm.Config{Connections: []crm.Connection{conn}})
	waitFor("the owner written once enabled", func() bool { _, n := hs.written("1"); return n == 1 })
	faster := conn
	faster.WriteBack = &crm.WriteBackConfig{Enabled: true, RatePerSecond: 200}
	cfg.Store(&crm.Config{Connections: []crm.Connection{faster}})
	waitFor("a new worker for the changed connection", func() bool { return started.Load() == 2 })
	feed.route("l2", "hubspot:contact:2", "bo", "sales/t", "sales/p", t0)
	waitFor("the next owner written by the new worker", func() bool { _, n := hs.written("2"); return n == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, n := hs.written("1"); n != 1 {
		t.Errorf("contact 1 written %d times across the restart, want 1 (the cursor was saved)", n)
	}
}

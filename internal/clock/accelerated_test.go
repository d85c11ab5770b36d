package clock

import (
	"context"
	"testing"
	"time"
)

func TestAcceleratedRunsFasterFromStart(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 2, 1, 9, 0, 0, 0, ny)
	wall := NewFake(time.Date(2030, 5, 5, 12, 0, 0, 0, time.UTC))
	a := NewAccelerated(start, 60, wall)
	if got := a.Now(); !got.Equal(start) {
		t.Fatalf("Now at creation = %v, want %v", got, start)
	}
	wall.Step(90 * time.Second)
	if got, want := a.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("after 90 real seconds at 60x: %v, want %v", got, want)
	}
	if got := a.RealDuration(time.Hour); got != time.Minute {
		t.Fatalf("RealDuration(1h) at 60x = %v, want 1m", got)
	}
	if a.Speed() != 60 {
		t.Fatalf("Speed = %v", a.Speed())
	}
	if slow := NewAccelerated(start, 0, wall); slow.Speed() != 1 {
		t.Fatalf("speed 0 should mean real time, got %v", slow.Speed())
	}
}

func TestAcceleratedIsMonotonicOnTheRealClock(t *testing.T) {
	a := NewAccelerated(time.Date(2027, 2, 1, 14, 0, 0, 0, time.UTC), 1000, nil)
	prev := a.Now()
	for range 1000 {
		now := a.Now()
		if now.Before(prev) {
			t.Fatalf("went backwards: %v after %v", now, prev)
		}
		prev = now
	}
}

func TestAcceleratedTicksSubscribers(t *testing.T) {
	var _ Stepper = (*Accelerated)(nil)
	a := NewAccelerated(time.Date(2027, 2, 1, 14, 0, 0, 0, time.UTC), 60, nil)
	a.TickInterval = 10 * time.Millisecond
	ch := a.Changes()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Start(ctx) }()
	for i := range 3 {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("no tick %d", i)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after its context ended")
	}
	// A Tick with nobody reading coalesces instead of blocking.
	a.Tick()
	a.Tick()
}

package clock

import (
	"context"
	"sync"
	"time"
)

// DefaultTickInterval is how often, in real time, an Accelerated clock announces that it moved.
const DefaultTickInterval = time.Second

// Accelerated is a clock that runs Speed times faster than a wall clock, starting from a chosen instant:
// at Speed 60 an hour-long SLA runs out in a real minute. The demo uses it so the shipped samples (a
// one-business-hour first-touch SLA in New York, goals for a given quarter) show breaches and goal
// progress within minutes, without editing them.
//
// It is a Stepper: controllers schedule their next look with RequeueAfter, which waits in real time, so
// Start announces a change every TickInterval of real time and the controllers re-evaluate time-driven
// state as simulated time passes. Safe for concurrent use.
type Accelerated struct {
	start  time.Time
	origin time.Time
	speed  float64
	wall   Clock

	// TickInterval is how often Start announces a change; DefaultTickInterval when zero.
	TickInterval time.Duration

	mu   sync.Mutex
	subs []chan struct{}
}

// NewAccelerated returns a clock that reads start now and then advances speed times faster than wall
// (the real clock when nil). A speed below or equal to 0 is taken as 1.
func NewAccelerated(start time.Time, speed float64, wall Clock) *Accelerated {
	if wall == nil {
		wall = Real{}
	}
	if speed <= 0 {
		speed = 1
	}
	return &Accelerated{start: start, origin: wall.Now(), speed: speed, wall: wall}
}

// Now returns start + speed × (real time elapsed since NewAccelerated).
func (a *Accelerated) Now() time.Time {
	elapsed := a.wall.Now().Sub(a.origin)
	return a.start.Add(time.Duration(float64(elapsed) * a.speed))
}

// Speed returns how many simulated seconds pass per real second.
func (a *Accelerated) Speed() float64 { return a.speed }

// RealDuration converts a simulated duration into the real time it takes on this clock.
func (a *Accelerated) RealDuration(simulated time.Duration) time.Duration {
	return time.Duration(float64(simulated) / a.speed)
}

// Changes returns a channel that receives after every Tick (coalesced).
func (a *Accelerated) Changes() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch := make(chan struct{}, 1)
	a.subs = append(a.subs, ch)
	return ch
}

// Tick tells every subscriber that the time moved.
func (a *Accelerated) Tick() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ch := range a.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Start ticks every TickInterval until ctx ends. It satisfies controller-runtime's manager.Runnable.
func (a *Accelerated) Start(ctx context.Context) error {
	every := a.TickInterval
	if every <= 0 {
		every = DefaultTickInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			a.Tick()
		}
	}
}

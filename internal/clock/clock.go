// Package clock lets the controller's notion of "now" be injected, so SLA deadlines and goal periods
// are tested by moving a clock rather than by sleeping.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Fake is a clock that only moves when told to. Safe for concurrent use.
type Fake struct {
	mu   sync.Mutex
	now  time.Time
	subs []chan struct{}
}

// Stepper is a clock that can jump: controllers re-evaluate time-driven state when it does, since a
// RequeueAfter computed on a fake clock would wait in real time.
type Stepper interface {
	Clock
	Changes() <-chan struct{}
}

// Changes returns a channel that receives after every Set or Step (coalesced).
func (f *Fake) Changes() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{}, 1)
	f.subs = append(f.subs, ch)
	return ch
}

func (f *Fake) changed() {
	for _, ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// NewFake returns a Fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
	f.changed()
}

// Step moves the clock forward by d.
func (f *Fake) Step(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.changed()
}

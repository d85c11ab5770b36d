package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const writers = 12

func errDetails[T error](err error, target *T) bool { return errors.As(err, target) }

// testConcurrentUpsert: N writers upsert one external id at once (half identical, half changing
// the score): one lead, whose version counts the writes that changed it.
func testConcurrentUpsert(t *testing.T, s store.Store) {
	var (
		wg      sync.WaitGroup
		created atomic.Int64
		errs    = make(chan error, writers)
		start   = make(chan struct{})
	)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := input("race-1")
			if i%2 == 1 {
				in.Score = int64(100 + i)
			}
			<-start
			_, c, err := s.UpsertLead(ctx(t), in, fmt.Sprintf("writer-%d", i))
			if err != nil {
				errs <- err
				return
			}
			if c {
				created.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent upsert: %v", err)
	}
	if n := countLeads(t, s); n != 1 {
		t.Fatalf("%d leads, want 1", n)
	}
	if c := created.Load(); c != 1 {
		t.Fatalf("%d writers say they created the lead, want 1", c)
	}
	l, err := s.GetLeadByExternalID(ctx(t), "race-1")
	if err != nil {
		t.Fatal(err)
	}
	if evs := mustAudit(t, s, l.ID); int64(len(evs)) != l.Version {
		t.Fatalf("version %d but %d audit events", l.Version, len(evs))
	}
}

// testConcurrentWrites: touches (Apply) and read-modify-write Updates race on one lead. Apply never
// loses an update; Update may conflict and retries. Afterwards the version is exactly the number of
// successful writes and the counter bumped by Updates is exact.
func testConcurrentWrites(t *testing.T, s store.Store) {
	l := inStage(t, s, lead.StageTouched)
	const perWriter = 5
	var (
		wg        sync.WaitGroup
		writes    atomic.Int64
		updates   atomic.Int64
		conflicts atomic.Int64
		errs      = make(chan error, writers*perWriter)
		start     = make(chan struct{})
	)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range perWriter {
				if i%2 == 0 {
					if _, err := s.Apply(ctx(t), l.ID, store.Activity{Kind: lead.ActivityTouch, Actor: fmt.Sprintf("rep-%d", i)}); err != nil {
						errs <- err
						return
					}
					writes.Add(1)
					continue
				}
				if err := bumpWithRetry(ctx(t), s, l.ID, &conflicts); err != nil {
					errs <- err
					return
				}
				writes.Add(1)
				updates.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent write: %v", err)
	}
	got := mustGet(t, s, l.ID)
	if got.Version != l.Version+writes.Load() {
		t.Fatalf("version %d, want %d + %d successful writes", got.Version, l.Version, writes.Load())
	}
	if int64(got.ReassignmentCount) != updates.Load() {
		t.Fatalf("counter %d, want %d: an update was lost", got.ReassignmentCount, updates.Load())
	}
	if evs := mustAudit(t, s, l.ID); int64(len(evs)) != got.Version {
		t.Fatalf("%d audit events for version %d", len(evs), got.Version)
	}
	t.Logf("%d writes, %d update conflicts retried", writes.Load(), conflicts.Load())
}

// bumpWithRetry is the optimistic-concurrency loop a controller runs: read, modify, Update, and on
// ErrConflict start over (bounded).
func bumpWithRetry(ctx context.Context, s store.Store, id string, conflicts *atomic.Int64) error {
	for attempt := range 200 {
		cur, err := s.GetLead(ctx, id)
		if err != nil {
			return err
		}
		cur.ReassignmentCount++
		_, err = s.Update(ctx, cur, store.AuditEvent{Type: lead.EventReassigned, Actor: "sla-clock"})
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		conflicts.Add(1)
		time.Sleep(time.Duration(attempt%5) * time.Millisecond)
	}
	return errors.New("update kept conflicting")
}

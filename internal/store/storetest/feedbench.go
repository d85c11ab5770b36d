package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
)

// BenchFeed writes n audit events (n leads created in batches, outside the timer), then reads the
// whole feed from the start in pages of store.MaxFeedPageSize per op, with types when given, and
// reports events/s read (scanned, with types: every event of the log is read once either way).
func BenchFeed(b *testing.B, s store.Store, n int, types []string) {
	ctx := context.Background()
	prefix := fmt.Sprintf("feed-%d", time.Now().UnixNano())
	for off := 0; off < n; off += BatchSize {
		if _, err := s.UpsertLeads(ctx, BenchInputs(fmt.Sprintf("%s-%d", prefix, off), min(BatchSize, n-off)), "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	served := 0
	for range b.N {
		after := ""
		for {
			p, err := s.EventsAfter(ctx, store.FeedQuery{After: after, Types: types, Limit: store.MaxFeedPageSize})
			if err != nil {
				b.Fatal(err)
			}
			served += len(p.Events)
			if p.Next == after {
				break
			}
			after = p.Next
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(served)/float64(b.N), "served/op")
}

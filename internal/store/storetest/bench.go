package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
)

// BatchSize is the batch the ingest benchmarks use.
const BatchSize = 1000

// BenchInputs returns n distinct, realistic inputs whose external ids start with prefix.
func BenchInputs(prefix string, n int) []store.LeadInput {
	out := make([]store.LeadInput, n)
	for i := range out {
		in := input(fmt.Sprintf("%s-%d", prefix, i))
		in.Email = fmt.Sprintf("lead%d@example.com", i)
		in.Score = int64(i % 100)
		out[i] = in
	}
	return out
}

// BenchUpsertSingle measures one-lead upserts (each a new lead, one transaction each) and reports
// upserts/s.
func BenchUpsertSingle(b *testing.B, s store.Store) {
	ctx := context.Background()
	in := BenchInputs(fmt.Sprintf("single-%d", time.Now().UnixNano()), b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, _, err := s.UpsertLead(ctx, in[i], "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "upserts/s")
}

// BenchUpsertBatch measures UpsertLeads of BatchSize new leads per op and reports leads/s.
// Returns the time spent in UpsertLeads.
func BenchUpsertBatch(b *testing.B, s store.Store, batch func(i int) []store.LeadInput) time.Duration {
	ctx := context.Background()
	var spent time.Duration
	for i := range b.N {
		in := batch(i)
		start := time.Now()
		if _, err := s.UpsertLeads(ctx, in, "bench"); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(b.N*BatchSize)/spent.Seconds(), "upserts/s")
	return spent
}

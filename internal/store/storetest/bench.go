package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// BatchSize is the batch the ingest benchmarks use.
const BatchSize = 1000

// BenchInputs returns n distinct, realistic inputs whose external ids start with prefix. They come
// the way marketing tools send them, so that ingest normalization has its real work to do: a
// mixed-case email at a subdomain and no domain (derived from the email), a country name, a phone
// in national format. Each email is its own (no lead duplicates another). The phones repeat from
// one call to the next (a source re-sending its contacts); BenchInputsNewPhones gives each lead a
// number never seen before.
func BenchInputs(prefix string, n int) []store.LeadInput {
	return benchInputs(prefix, n, func(i int) int { return i })
}

// BenchInputsNewPhones is BenchInputs with a phone number no earlier input of the process had, as
// when every lead is a new person: each one is parsed, none comes from normalization's cache.
func BenchInputsNewPhones(prefix string, n int) []store.LeadInput {
	base := int(benchPhoneSeq.Add(int64(n))) - n
	return benchInputs(prefix, n, func(i int) int { return base + i })
}

// BenchInputsClean is what BenchInputs was before ingest normalization: inputs already in the
// stored form (a lower-case email with its domain given, a country code, no phone), each email its
// own. Normalization still checks every field; it has nothing to change.
func BenchInputsClean(prefix string, n int) []store.LeadInput {
	out := make([]store.LeadInput, n)
	for i := range out {
		in := input(fmt.Sprintf("%s-%d", prefix, i))
		in.Email = fmt.Sprintf("lead%d.%s@example.com", i, prefix)
		in.Score = int64(i % 100)
		out[i] = in
	}
	return out
}

// benchPhoneSeq numbers the phones BenchInputsNewPhones hands out (Berlin numbers have room for
// eight million of them after 2000000).
var benchPhoneSeq atomic.Int64

func benchInputs(prefix string, n int, phone func(i int) int) []store.LeadInput {
	out := make([]store.LeadInput, n)
	for i := range out {
		in := input(fmt.Sprintf("%s-%d", prefix, i))
		in.Email = fmt.Sprintf(" Lead%d.%s@EU.Example.co.uk", i, prefix)
		in.Domain = ""
		in.Country = "Germany"
		in.Phone = fmt.Sprintf("030 %07d", 2000000+phone(i)%8000000)
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

// BenchUpsertBatch measures ingest of BatchSize new leads per op, as the API and the CSV import
// do it: normalization (validate.NormalizeLeads), then UpsertLeads; it reports leads/s and returns
// the time spent in both.
func BenchUpsertBatch(b *testing.B, s store.Store, batch func(i int) []store.LeadInput) time.Duration {
	ctx := context.Background()
	var spent time.Duration
	for i := range b.N {
		raw := batch(i)
		start := time.Now()
		in, errs := validate.NormalizeLeads("leads", raw)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		if _, err := s.UpsertLeads(ctx, in, "bench"); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(b.N*BatchSize)/spent.Seconds(), "upserts/s")
	return spent
}

// BenchDecisions prepares n new leads (batches of BatchSize) and returns them with the decisions
// the router commits for them: new → qualified → routed, with a 'qualified' and a 'routed' audit
// event each carrying a realistic payload, and an SLA deadline.
func BenchDecisions(b testing.TB, s store.Store, prefix string, n int, due func(i int) time.Time) []store.Decision {
	b.Helper()
	ctx := context.Background()
	ds := make([]store.Decision, 0, n)
	for off := 0; off < n; off += BatchSize {
		ls, err := s.UpsertLeads(ctx, BenchInputs(fmt.Sprintf("%s-%d", prefix, off), min(BatchSize, n-off)), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range ls {
			i := len(ds)
			owner := fmt.Sprintf("rep-%d", i%25)
			d := routeDecision(l, owner, func(n *lead.Lead) {
				n.FirstTouchDue = tp(due(i))
				n.FirstTouchWarn = tp(due(i).Add(-time.Hour))
				n.AcceptanceDue = tp(due(i).Add(48 * time.Hour))
			})
			d.Events[1].Data = map[string]any{"policy": "ns/p", "generation": 3, "rule": "r1", "strategy": "least-loaded",
				"team": "ns/t", "owner": owner, "why": "fewest open leads (3 of capacity 20) among 25 available members",
				"candidates": []any{"rep-1", "rep-2", "rep-3", "rep-4", "rep-5"}}
			ds = append(ds, d)
		}
	}
	return ds
}

// BenchCommit commits ds in batches of batch and returns the time spent in CommitDecisions.
func BenchCommit(b testing.TB, s store.Store, ds []store.Decision, batch int) time.Duration {
	b.Helper()
	r := s.(store.Router)
	ctx := context.Background()
	var spent time.Duration
	for off := 0; off < len(ds); off += batch {
		start := time.Now()
		applied, conflicts, err := r.CommitDecisions(ctx, ds[off:min(off+batch, len(ds))])
		spent += time.Since(start)
		if err != nil || len(conflicts) != 0 || len(applied) != min(batch, len(ds)-off) {
			b.Fatalf("commit: %d applied, %d conflicts, %v", len(applied), len(conflicts), err)
		}
	}
	return spent
}

// BenchDue seeds open handoffs of which due are due at the returned instant, and measures
// DueHandoffs at that instant (reporting ms/op is left to the benchmark's ns/op).
func BenchDue(b *testing.B, s store.Store, open, due int) {
	now := time.Now().UTC().Truncate(time.Second)
	ds := BenchDecisions(b, s, fmt.Sprintf("due-%d", now.UnixNano()), open, func(i int) time.Time {
		if i%(open/due) == 0 {
			return now.Add(-time.Minute)
		}
		return now.Add(time.Duration(1+i%1000) * time.Hour)
	})
	BenchCommit(b, s, ds, 500)
	sla := s.(store.SLA)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		got, err := sla.DueHandoffs(ctx, now, 1000)
		if err != nil || len(got) != due {
			b.Fatalf("due: %d, %v; want %d", len(got), err, due)
		}
	}
}

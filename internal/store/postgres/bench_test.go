package postgres

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
	"github.com/leadops/leadops/internal/store/storetest"
)

func BenchmarkUpsertSingle(b *testing.B) {
	storetest.BenchUpsertSingle(b, openFresh(b))
}

// BenchmarkUpsertBatch1000VsCopy runs, in each op, a batch upsert of 1,000 new leads and a raw COPY
// (pgx CopyFrom) of 1,000 equivalent rows into the same table, and reports both rates and their
// ratio. The upsert does more (normalization, the duplicate check, ON CONFLICT, audit rows, NOTIFY,
// returns the leads): the target is a ratio under 3. Its sub-benchmarks differ in the inputs: clean
// (already in stored form, no phone), or messy with phones re-sent batch after batch
// (normalization's cache knows them) or new with every lead.
func BenchmarkUpsertBatch1000VsCopy(b *testing.B) {
	for _, c := range []struct {
		name   string
		inputs func(prefix string, n int) []store.LeadInput
	}{
		{"clean", storetest.BenchInputsClean},
		{"resent-phones", storetest.BenchInputs},
		{"new-phones", storetest.BenchInputsNewPhones},
	} {
		b.Run(c.name, func(b *testing.B) { benchUpsertVsCopy(b, c.inputs) })
	}
}

func benchUpsertVsCopy(b *testing.B, inputs func(prefix string, n int) []store.LeadInput) {
	s := openFresh(b)
	ctx := context.Background()
	var copySpent time.Duration
	b.ResetTimer()
	upsertSpent := storetest.BenchUpsertBatch(b, s, func(i int) []store.LeadInput {
		b.StopTimer()
		defer b.StartTimer()
		rows := copyRows(inputs(fmt.Sprintf("copy-%d-%d", b.N, i), storetest.BatchSize))
		start := time.Now()
		n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"leads"}, copyColumns, pgx.CopyFromRows(rows))
		if err != nil || n != storetest.BatchSize {
			b.Fatalf("copy: %d rows, %v", n, err)
		}
		copySpent += time.Since(start)
		return inputs(fmt.Sprintf("batch-%d-%d", b.N, i), storetest.BatchSize)
	})
	b.ReportMetric(float64(b.N*storetest.BatchSize)/copySpent.Seconds(), "copy-rows/s")
	b.ReportMetric(upsertSpent.Seconds()/copySpent.Seconds(), "upsert/copy")
}

var copyColumns = []string{"id", "external_id", "email", "name", "company", "domain", "country", "industry",
	"employees", "source", "campaign", "score", "attributes", "stage", "created_at", "updated_at", "version"}

func copyRows(in []store.LeadInput) [][]any {
	now := time.Now().UTC()
	rows := make([][]any, len(in))
	for i, it := range in {
		attrs, _ := it.AttributesJSON()
		rows[i] = []any{core.NewID(), it.ExternalID, it.Email, it.Name, it.Company, it.Domain, it.Country,
			it.Industry, it.Employees, it.Source, it.Campaign, it.Score, attrs, string(lead.StageNew), now, now, int64(1)}
	}
	return rows
}

// BenchmarkCommitDecisions100kVsUpdate commits routing decisions for a burst of 100,000 new leads
// in batches of 500 (qualified and routed in one decision, two audit events each, NOTIFY), then
// runs a plain batched UPDATE of owner and stage on the same rows, in batches of 500, and reports
// both rates and their ratio.
func BenchmarkCommitDecisions100kVsUpdate(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		s := openFresh(b)
		ds := storetest.BenchDecisions(b, s, "cd", 100000, func(int) time.Time { return time.Now().Add(time.Hour) })
		if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE leads`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		spent := storetest.BenchCommit(b, s, ds, 500)
		b.StopTimer()
		var plain time.Duration
		for off := 0; off < len(ds); off += 500 {
			end := min(off+500, len(ds))
			ids, owners, stages := make([]string, 0, 500), make([]string, 0, 500), make([]string, 0, 500)
			for _, d := range ds[off:end] {
				ids, owners, stages = append(ids, d.Lead.ID), append(owners, d.Lead.Owner+"-x"), append(stages, string(lead.StageRouted))
			}
			start := time.Now()
			tag, err := s.pool.Exec(ctx, `UPDATE leads SET owner = u.owner, stage = u.stage
				FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, owner, stage) WHERE leads.id = u.id`, ids, owners, stages)
			plain += time.Since(start)
			if err != nil || tag.RowsAffected() != int64(end-off) {
				b.Fatalf("plain update: %v %v", tag, err)
			}
		}
		b.ReportMetric(float64(len(ds))/spent.Seconds(), "leads/s")
		b.ReportMetric(float64(len(ds))/plain.Seconds(), "plain-update-rows/s")
		b.ReportMetric(spent.Seconds()/plain.Seconds(), "commit/plain")
		b.StartTimer()
	}
}

// BenchmarkDueHandoffs: one detection pass with 100 handoffs due among 10,000 and 100,000 open
// ones (1,000,000 with LEADOPS_BENCH_LARGE=1): the time should not grow with what is open.
func BenchmarkDueHandoffs(b *testing.B) {
	sizes := []int{10000, 100000}
	if os.Getenv("LEADOPS_BENCH_LARGE") != "" {
		sizes = append(sizes, 1000000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			storetest.BenchDue(b, openFresh(b), n, 100)
		})
	}
}

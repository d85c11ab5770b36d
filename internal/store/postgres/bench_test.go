package postgres

import (
	"context"
	"fmt"
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
// ratio. The upsert does more (ON CONFLICT, audit rows, NOTIFY, returns the leads): the target is a
// ratio under 3.
func BenchmarkUpsertBatch1000VsCopy(b *testing.B) {
	s := openFresh(b)
	ctx := context.Background()
	var copySpent time.Duration
	b.ResetTimer()
	upsertSpent := storetest.BenchUpsertBatch(b, s, func(i int) []store.LeadInput {
		b.StopTimer()
		defer b.StartTimer()
		rows := copyRows(storetest.BenchInputs(fmt.Sprintf("copy-%d-%d", b.N, i), storetest.BatchSize))
		start := time.Now()
		n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"leads"}, copyColumns, pgx.CopyFromRows(rows))
		if err != nil || n != storetest.BatchSize {
			b.Fatalf("copy: %d rows, %v", n, err)
		}
		copySpent += time.Since(start)
		return storetest.BenchInputs(fmt.Sprintf("batch-%d-%d", b.N, i), storetest.BatchSize)
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

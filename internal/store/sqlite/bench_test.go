package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storetest"
)

func BenchmarkUpsertSingle(b *testing.B) {
	storetest.BenchUpsertSingle(b, openTemp(b))
}

func BenchmarkUpsertBatch1000(b *testing.B) {
	s := openTemp(b)
	b.ResetTimer()
	storetest.BenchUpsertBatch(b, s, func(i int) []store.LeadInput {
		b.StopTimer()
		defer b.StartTimer()
		return storetest.BenchInputs(fmt.Sprintf("batch-%d-%d", b.N, i), storetest.BatchSize)
	})
}

// BenchmarkCommitDecisions100k commits routing decisions for a burst of 100,000 new leads in
// batches of 500 (qualified and routed in one decision, two audit events each).
func BenchmarkCommitDecisions100k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		s := openTemp(b)
		ds := storetest.BenchDecisions(b, s, "cd", 100000, func(int) time.Time { return time.Now().Add(time.Hour) })
		b.StartTimer()
		spent := storetest.BenchCommit(b, s, ds, 500)
		b.ReportMetric(float64(len(ds))/spent.Seconds(), "leads/s")
	}
}

// BenchmarkDueHandoffs100k: one detection pass over 100,000 open handoffs of which 100 are due.
func BenchmarkDueHandoffs100k(b *testing.B) {
	storetest.BenchDue(b, openTemp(b), 100000, 100)
}

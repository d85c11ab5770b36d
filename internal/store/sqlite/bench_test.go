package sqlite

import (
	"fmt"
	"testing"

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

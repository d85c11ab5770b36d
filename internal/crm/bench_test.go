package crm_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/leadops/leadops/internal/crm"
)

// BenchmarkIngest100 measures one delivery of 100 new records (a full Salesforce message or HubSpot
// batch) into SQLite: normalization, the existence checks and the single batch upsert.
func BenchmarkIngest100(b *testing.B) {
	st := openStore(b)
	conn := hubspotConn()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		recs := make([]crm.Record, 100)
		for j := range recs {
			recs[j] = contact(fmt.Sprintf("%d", i*100+j), fmt.Sprintf("c%d-%d@example.com", i, j), "NEW", now)
		}
		res, err := crm.Ingest(ctx, st, conn, recs, now)
		if err != nil || res.Stored != 100 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

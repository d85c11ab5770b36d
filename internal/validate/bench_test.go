package validate

import (
	"fmt"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// BenchmarkNormalizeLeads1000 is the ingest normalization of one batch of 1,000 messy leads (the
// CPU part of storetest.BenchUpsertBatch).
func BenchmarkNormalizeLeads1000(b *testing.B) {
	ins := make([]store.LeadInput, 1000)
	for i := range ins {
		ins[i] = store.LeadInput{ExternalID: fmt.Sprintf("L-%d", i), Email: fmt.Sprintf(" Lead%d@EU.Example.co.uk", i),
			Name: "Jane Doe", Company: "Example GmbH", Country: "Germany", Phone: fmt.Sprintf("030 %07d", 2000000+i),
			Industry: "software", Source: "webinar", Campaign: "q1-launch", Score: int64(i % 100),
			Attributes: map[string]any{"plan": "pro", "seats": 12.0}}
	}
	for b.Loop() {
		if _, errs := NormalizeLeads("leads", ins); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

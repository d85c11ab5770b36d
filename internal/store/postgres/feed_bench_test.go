package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store/internal/core"
	"github.com/leadops/leadops/internal/store/storetest"
)

// BenchmarkFeedRead reads a feed of 20,000 events from the start in pages of 1,000, all of them and
// filtered by a type none has (the bounded scans of a rare type).
func BenchmarkFeedRead(b *testing.B) {
	b.Run("all", func(b *testing.B) { storetest.BenchFeed(b, openFresh(b), 20000, nil) })
	b.Run("types=breached", func(b *testing.B) { storetest.BenchFeed(b, openFresh(b), 20000, []string{lead.EventBreached}) })
}

// BenchmarkAuditInsert1000 measures what the feed's xact_id column (its default and its index) adds
// to the audit insert of a 1,000-lead batch: the store's statement (INSERT … SELECT FROM unnest) into
// audit_events, and into a copy of the table without the column and its index, one transaction
// each per op.
func BenchmarkAuditInsert1000(b *testing.B) {
	s := openFresh(b)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE audit_plain (LIKE audit_events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
		ALTER TABLE audit_plain DROP COLUMN xact_id`); err != nil {
		b.Fatal(err)
	}
	const n = 1000
	leadIDs, ats := make([]string, n), make([]time.Time, n)
	actors, types, reasons, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		leadIDs[i], ats[i], actors[i], types[i], data[i] = core.NewID(), time.Now(), "bench", "created", `{"source":"webinar","campaign":"q1-launch"}`
	}
	insert := func(table string) time.Duration {
		sql := fmt.Sprintf(`INSERT INTO %s (lead_id, at, actor, type, reason, data)
			SELECT lead_id, at, actor, type, reason, data::jsonb
			FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
			AS e(lead_id, at, actor, type, reason, data)`, table)
		start := time.Now()
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, sql, leadIDs, ats, actors, types, reasons, data); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// Alternate the two in every op, so that load from elsewhere on the machine hits both alike.
	var plain, feed time.Duration
	for i := range b.N {
		if i%2 == 0 {
			plain += insert("audit_plain")
			feed += insert("audit_events")
		} else {
			feed += insert("audit_events")
			plain += insert("audit_plain")
		}
	}
	b.ReportMetric(float64(plain.Microseconds())/float64(b.N)/1000, "plain-ms/op")
	b.ReportMetric(float64(feed.Microseconds())/float64(b.N)/1000, "xact_id-ms/op")
	b.ReportMetric(feed.Seconds()/plain.Seconds(), "xact_id/plain")
}

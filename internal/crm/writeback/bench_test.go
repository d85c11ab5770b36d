package writeback

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

// BenchmarkSyncSQLite1000 writes back the owners of 1000 routed HubSpot leads from a real SQLite
// store to a fake HubSpot on 127.0.0.1 with an unlimited bucket: the worker's own cost (feed pages,
// one lead read per event, batching, cursor saves), 10 batch calls per pass.
func BenchmarkSyncSQLite1000(b *testing.B) {
	hs := newFakeHubSpot(b)
	conn := connection(b, crm.HubSpot, hs.srv.URL, 1e6)
	st := sqliteFeed(b, filepath.Join(b.TempDir(), "leads.db"))
	for i := range 1000 {
		routeInStore(b, st, fmt.Sprintf("hubspot:contact:%d", i), fmt.Sprintf("l%d@example.org", i), "ana")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := st.SaveCursor(ctxT(b), (&Worker{Conn: conn}).Consumer(), ""); err != nil {
			b.Fatal(err)
		}
		w := &Worker{Conn: conn, CRM: NewCRM(conn, ClientOptions{}), Feed: st, Leads: st, RetryWait: time.Millisecond}
		b.StartTimer()
		if err := w.Sync(ctxT(b)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if _, n := hs.written("0"); len(hs.owners) != 1000 || n != b.N {
		b.Fatalf("%d contacts written, contact 0 %d times; want 1000, each once a pass (%d)", len(hs.owners), n, b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/owner")
}

package events

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/postgres"
	"github.com/leadops/leadops/internal/store/sqlite"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// PostgreSQL tests share one throwaway server, started on first use.
func TestMain(m *testing.M) { pgtest.Main(m) }

var backends = []string{"sqlite", "postgres"}

// openStore opens a fresh lead store of the backend for tb.
func openStore(tb testing.TB, backend string) store.Backend {
	tb.Helper()
	ctx := context.Background()
	var (
		st  store.Backend
		err error
	)
	switch backend {
	case "sqlite":
		st, err = sqlite.Open(ctx, filepath.Join(tb.TempDir(), "leads.db"), store.Options{})
	case "postgres":
		st, err = postgres.Open(ctx, pgtest.NewDatabase(tb), store.Options{})
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// TestRealStore delivers from the real stores: their feed, saved cursors and change notifications.
func TestRealStore(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { testRealStore(t, openStore(t, backend)) })
	}
}

func testRealStore(t *testing.T, st store.Backend) {
	ctx := context.Background()
	var feed Feed = st
	l, _, err := st.UpsertLead(ctx, store.LeadInput{Email: "jane.roe@example.org", Name: "Jane Roe", Phone: "+4930123456",
		Company: "Roe Consulting", Source: "webinar"}, "api")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"}); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t, nil)
	sub := testSub(t, r, false)
	stop := start(t, NewDeliverer(sub, feed, st, testOptions(&sleeps{})))
	waitFor(t, "created and qualified", func() bool { return len(r.acknowledged()) == 2 })
	if _, err := st.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityDisqualify, Actor: "marketing", Reason: "no budget"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "disqualified, woken by the store's change notification", func() bool { return len(r.acknowledged()) == 3 })
	waitFor(t, "the position after it", func() bool {
		pos, err := feed.LoadCursor(ctx, Consumer(sub.Name))
		if err != nil || pos == "" {
			return false
		}
		page, err := feed.EventsAfter(ctx, store.FeedQuery{After: pos, Types: Types})
		return err == nil && len(page.Events) == 0 && page.Next == pos
	})
	stop()
	for _, q := range r.requests() {
		for _, p := range personal {
			if strings.Contains(strings.ToLower(string(q.body)), strings.ToLower(p)) {
				t.Errorf("body holds personal data %q: %s", p, q.body)
			}
		}
	}
	// A restart sends nothing again (the cursor was saved in the store), only what is new.
	before := len(r.requests())
	start(t, NewDeliverer(sub, feed, st, testOptions(&sleeps{})))
	if _, _, err := st.UpsertLead(ctx, store.LeadInput{Email: "other@example.net", Source: "import"}, "api"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new lead's created event", func() bool { return len(r.acknowledged()) == 4 })
	afterRestart := r.requests()[before:]
	if len(afterRestart) != 1 || !strings.Contains(string(afterRestart[0].body), `"io.leadops.lead.created"`) {
		t.Errorf("after the restart: %d requests, want only the new created event: %v", len(afterRestart), afterRestart)
	}
}

// BenchmarkDeliver measures delivery from each real store to a local receiver that acknowledges at
// once: b.N created events, one feed read per event (PageSize 1, the default), with the position
// saved after every event (the default) or at most every second, and, for comparison, pages of 100.
func BenchmarkDeliver(b *testing.B) {
	for _, backend := range backends {
		for _, v := range []struct {
			name      string
			pageSize  int
			saveEvery time.Duration
		}{{"page1-save-each", 1, 0}, {"page1-save-1s", 1, time.Second}, {"page100", 100, 0}} {
			b.Run(backend+"/"+v.name, func(b *testing.B) { benchDeliver(b, openStore(b, backend), v.pageSize, v.saveEvery) })
		}
	}
}

func benchDeliver(b *testing.B, st store.Backend, pageSize int, saveEvery time.Duration) {
	ctx := context.Background()
	in := make([]store.LeadInput, b.N)
	for i := range in {
		in[i] = store.LeadInput{Email: "p" + strconv.Itoa(i) + "@example.org", Source: "bench"}
	}
	if _, err := st.UpsertLeads(ctx, in, "api"); err != nil {
		b.Fatal(err)
	}
	var acked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		acked.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	sec, _ := ParseSecret(specSecret)
	sub := Subscription{Name: "bench", Source: DefaultSource, URL: u, Secrets: []Secret{sec}}
	want := int64(len(in))
	b.ResetTimer()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = NewDeliverer(sub, st, st, Options{PageSize: pageSize, SaveEvery: saveEvery, Metrics: NewMetrics()}).Run(ctx)
	}()
	for acked.Load() < want {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "events/s")
}

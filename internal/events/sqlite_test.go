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
	"github.com/leadops/leadops/internal/store/sqlite"
)

// TestSQLiteStore delivers from the real embedded store: its feed, its saved cursors and its change
// notifications. It runs once the store implements the feed (branch h/feed); until then it skips.
func TestSQLiteStore(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "leads.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	feed, ok := any(st).(Feed)
	if !ok {
		t.Skip("the SQLite store has no event feed yet (EventsAfter, LoadCursor, SaveCursor): it comes with branch h/feed")
	}
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

// BenchmarkDeliverSQLite measures delivery from the real embedded store to a local receiver that
// acknowledges at once: b.N events of b.N/2 leads (created + qualified), one feed read and one cursor
// save per event (PageSize 1, the default) against pages of 100.
func BenchmarkDeliverSQLite(b *testing.B) {
	for _, pageSize := range []int{1, 100} {
		b.Run("page"+strconv.Itoa(pageSize), func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "leads.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			in := make([]store.LeadInput, max(b.N/2, 1))
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
				_ = NewDeliverer(sub, st, st, Options{PageSize: pageSize, Metrics: NewMetrics()}).Run(ctx)
			}()
			for acked.Load() < want {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cancel()
			<-done
			b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

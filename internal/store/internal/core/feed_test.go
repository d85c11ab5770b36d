package core

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
)

func TestDecodeFeedPosition(t *testing.T) {
	const epoch = "e1"
	mine := FeedPosition{Epoch: epoch, Xact: 1000, ID: 42}.Encode()
	for _, tt := range []struct {
		name, in string
		want     FeedPosition
		err      error
	}{
		{"start", "", FeedPosition{Epoch: epoch}, nil},
		{"round trip", mine, FeedPosition{Epoch: epoch, Xact: 1000, ID: 42}, nil},
		{"sqlite style", FeedPosition{Epoch: epoch, ID: 7}.Encode(), FeedPosition{Epoch: epoch, ID: 7}, nil},
		{"another store", FeedPosition{Epoch: "e2", ID: 7}.Encode(), FeedPosition{}, store.ErrCursorExpired},
		{"not base64", "%%", FeedPosition{}, store.ErrBadCursor},
		{"not json", base64.RawURLEncoding.EncodeToString([]byte("nope")), FeedPosition{}, store.ErrBadCursor},
		{"no epoch", base64.RawURLEncoding.EncodeToString([]byte(`{"i":3}`)), FeedPosition{}, store.ErrBadCursor},
		{"negative id", base64.RawURLEncoding.EncodeToString([]byte(`{"e":"e1","i":-3}`)), FeedPosition{}, store.ErrBadCursor},
		{"xact without id", base64.RawURLEncoding.EncodeToString([]byte(`{"e":"e1","x":3}`)), FeedPosition{}, store.ErrBadCursor},
		{"a list cursor", store.EncodeCursor(timeZero, "0190d7a5-0000-7000-8000-000000000000"), FeedPosition{}, store.ErrBadCursor},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFeedPosition(tt.in, epoch)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestReadFeed drives the page loop with a scan over an in-memory log: limits, type filters that
// skip whole windows, the scan budget, and the caught-up answer.
func TestReadFeed(t *testing.T) {
	const epoch = "e"
	// 2,500 events: every 1,000th (and the last) is "routed", the rest "created".
	var log []store.AuditEvent
	for i := int64(1); i <= 2500; i++ {
		typ := "created"
		if i%1000 == 0 || i == 2500 {
			typ = "routed"
		}
		log = append(log, store.AuditEvent{ID: i, Type: typ})
	}
	calls := 0
	scan := func(pos FeedPosition, window int, types []string) (FeedWindow, error) {
		calls++
		var w FeedWindow
		for _, ev := range log {
			if ev.ID <= pos.ID {
				continue
			}
			if w.Scanned == window {
				break
			}
			w.Scanned++
			matched := len(types) == 0 || ev.Type == types[0] || (len(types) > 1 && ev.Type == types[1])
			w.Rows = append(w.Rows, FeedRow{Pos: FeedPosition{Epoch: epoch, ID: ev.ID}, Event: ev, Matched: matched})
		}
		// A scan returns the matches and the window's last row only.
		var keep []FeedRow
		for i, r := range w.Rows {
			if r.Matched || i == len(w.Rows)-1 {
				keep = append(keep, r)
			}
		}
		w.Rows = keep
		return w, nil
	}
	pos := func(id int64) string { return FeedPosition{Epoch: epoch, ID: id}.Encode() }
	start := FeedPosition{Epoch: epoch}
	for _, tt := range []struct {
		name      string
		q         store.FeedQuery
		from      FeedPosition
		wantIDs   []int64
		wantNext  string
		wantCalls int
	}{
		{"default limit", store.FeedQuery{}, start, seq(1, 100), pos(100), 1},
		{"limit 3 from 10", store.FeedQuery{After: pos(10), Limit: 3}, FeedPosition{Epoch: epoch, ID: 10}, seq(11, 13), pos(13), 1},
		{"routed, limit 2", store.FeedQuery{Types: []string{"routed"}, Limit: 2}, start, []int64{1000, 2000}, pos(2000), 2},
		{"routed, all", store.FeedQuery{Types: []string{"routed"}}, start, []int64{1000, 2000, 2500}, pos(2500), 3},
		{"a type nobody has moves to the end", store.FeedQuery{Types: []string{"won"}}, start, nil, pos(2500), 3},
		{"caught up returns After verbatim", store.FeedQuery{After: pos(2500)}, FeedPosition{Epoch: epoch, ID: 2500}, nil, pos(2500), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			p, err := ReadFeed(tt.q, tt.from, scan)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, ev := range p.Events {
				ids = append(ids, ev.ID)
			}
			if !equalIDs(ids, tt.wantIDs) || p.Next != tt.wantNext || calls != tt.wantCalls {
				t.Fatalf("ids %v next %s calls %d; want %v %s %d", ids, p.Next, calls, tt.wantIDs, tt.wantNext, tt.wantCalls)
			}
			if p.Events == nil {
				t.Fatal("nil Events")
			}
		})
	}
}

// TestReadFeedBudget: a filtered read over more unmatched events than the budget stops there, with
// nothing to serve and the position past what it scanned.
func TestReadFeedBudget(t *testing.T) {
	n := int64(store.FeedScanBudget + 2500)
	scans := 0
	scan := func(pos FeedPosition, window int, _ []string) (FeedWindow, error) {
		scans++
		last := min(pos.ID+int64(window), n)
		if last == pos.ID {
			return FeedWindow{}, nil
		}
		w := FeedWindow{Scanned: int(last - pos.ID)}
		ev := store.AuditEvent{ID: last, Type: "created"}
		matched := last == n // the only match is the last event
		if matched {
			ev.Type = "routed"
		}
		w.Rows = []FeedRow{{Pos: FeedPosition{Epoch: "e", ID: last}, Event: ev, Matched: matched}}
		return w, nil
	}
	q := store.FeedQuery{Types: []string{"routed"}}
	p, err := ReadFeed(q, FeedPosition{Epoch: "e"}, scan)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 0 || p.Next != (FeedPosition{Epoch: "e", ID: store.FeedScanBudget}).Encode() || scans != store.FeedScanBudget/FeedScanWindow {
		t.Fatalf("first call: %d events, next %s, %d scans", len(p.Events), p.Next, scans)
	}
	q.After = p.Next
	p, err = ReadFeed(q, FeedPosition{Epoch: "e", ID: store.FeedScanBudget}, scan)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 1 || p.Events[0].ID != n {
		t.Fatalf("second call: %+v", p.Events)
	}
}

var timeZero = time.Unix(1, 0)

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

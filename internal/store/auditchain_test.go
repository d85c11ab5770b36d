package store_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
)

// TestChainVector pins the encoding docs/audit-chain.md defines: the digests below were computed
// from the document's definition with an independent implementation (Python's hashlib).
func TestChainVector(t *testing.T) {
	ev := store.AuditEvent{LeadID: "01a22e77-6dea-7926-82bf-0ca60e48a6c1", At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Actor: "rep-1", Type: "touched", Reason: "touched by phone", Data: map[string]any{"to": "touched", "from": "routed"}}
	dg, data, err := store.ChainEvent(nil, ev)
	if err != nil {
		t.Fatal(err)
	}
	if data != `{"from":"routed","to":"touched"}` {
		t.Errorf("canonical data = %s", data)
	}
	if got := hex.EncodeToString(dg.Content[:]); got != "5d8f00898b92b528c599dde0156726727e53ceca71dd850c67226a69af58df48" {
		t.Errorf("content = %s", got)
	}
	if got := hex.EncodeToString(dg.Hash[:]); got != "bf4186685b884435f3a9cac9aaa42c7640401e6d0ce1ab64fcc2302212b7626a" {
		t.Errorf("hash = %s", got)
	}
}

type considered struct {
	Member string `json:"member"`
	Why    string `json:"why"`
	Load   int    `json:"load"`
}

// TestCanonicalAuditDataRoundTrips: the text a writer hashes equals the text a reader computes from
// the stored JSON, whatever Go values the writer passed (structs, ints, nested maps, times).
func TestCanonicalAuditDataRoundTrips(t *testing.T) {
	for _, m := range []map[string]any{
		nil,
		{"from": "new", "to": "routed"},
		{"version": int64(3), "amount": 1200.5},
		{"candidates": []considered{{Member: "rep-b", Why: "full", Load: 3}, {Member: "rep-a", Why: "won"}}},
		{"account": map[string]any{"domain": "example.com", "confidence": 0.9}, "due": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
		{"reason": "<b>&</b>", "ü": "ß"},
		{"big": int64(1) << 60, "small": 1e-7, "huge": 1e300, "list": []any{1, "a", nil, true}},
	} {
		written, err := store.CanonicalAuditData(m)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal([]byte(written), &back); err != nil {
			t.Fatal(err)
		}
		read, err := store.CanonicalAuditData(back)
		if err != nil {
			t.Fatal(err)
		}
		if written != read {
			t.Errorf("written %s, read back %s", written, read)
		}
	}
}

// TestVerifyChain: a chain built by ChainEvent verifies; each kind of change breaks it at the event
// changed (or the next one, for a removal), with the reason named.
func TestVerifyChain(t *testing.T) {
	const lead = "01a22e77-6dea-7926-82bf-0ca60e48a6c1"
	build := func(unchained int) []store.ChainRow {
		var (
			rows []store.ChainRow
			prev []byte
		)
		for i, typ := range []string{"created", "qualified", "routed", "touched"} {
			ev := store.AuditEvent{ID: int64(i + 1), LeadID: lead, At: time.Unix(int64(1000+i), 0).UTC(), Actor: "a", Type: typ,
				Reason: "r" + typ, Data: map[string]any{"owner": "rep-1", "why": "x"}}
			if i < unchained {
				rows = append(rows, store.ChainRow{AuditEvent: ev})
				continue
			}
			dg, _, err := store.ChainEvent(prev, ev)
			if err != nil {
				t.Fatal(err)
			}
			prev = dg.Hash[:]
			rows = append(rows, store.ChainRow{AuditEvent: ev, Content: dg.Content[:], Hash: dg.Hash[:]})
		}
		return rows
	}
	// erase redacts like the store does and appends the erased event.
	erase := func(rows []store.ChainRow) []store.ChainRow {
		var redacted []store.ChainRow
		for i, r := range rows {
			if ev, changed := store.RedactedEvent(r.AuditEvent); changed {
				rows[i].AuditEvent, rows[i].Erased = ev, true
				redacted = append(redacted, rows[i])
			}
		}
		ev, err := store.ErasedEvent(lead, "ops", time.Unix(2000, 0).UTC(), redacted)
		if err != nil {
			t.Fatal(err)
		}
		ev.ID = int64(len(rows) + 1)
		// Stored and read back: the data goes through JSON.
		b, _ := json.Marshal(ev.Data)
		_ = json.Unmarshal(b, &ev.Data)
		dg, _, err := store.ChainEvent(rows[len(rows)-1].Hash, ev)
		if err != nil {
			t.Fatal(err)
		}
		return append(rows, store.ChainRow{AuditEvent: ev, Content: dg.Content[:], Hash: dg.Hash[:]})
	}
	for _, tc := range []struct {
		name      string
		rows      func() []store.ChainRow
		breakAt   int64
		what      string
		unchained int
	}{
		{name: "intact", rows: func() []store.ChainRow { return build(0) }},
		{name: "unchained prefix", rows: func() []store.ChainRow { return build(2) }, unchained: 2},
		{name: "erased", rows: func() []store.ChainRow { return erase(build(0)) }},
		{name: "erased with an unchained prefix", rows: func() []store.ChainRow { return erase(build(1)) }, unchained: 1},
		{name: "data changed", rows: func() []store.ChainRow { r := build(0); r[2].Data["owner"] = "rep-9"; return r }, breakAt: 3, what: "content digest"},
		{name: "reason changed", rows: func() []store.ChainRow { r := build(0); r[1].Reason = "x"; return r }, breakAt: 2, what: "content digest"},
		{name: "actor changed", rows: func() []store.ChainRow { r := build(0); r[1].Actor = "m"; return r }, breakAt: 2, what: "hash mismatch"},
		{name: "time changed", rows: func() []store.ChainRow { r := build(0); r[3].At = r[3].At.Add(time.Microsecond); return r }, breakAt: 4, what: "hash mismatch"},
		{name: "removed", rows: func() []store.ChainRow { r := build(0); return append(r[:1], r[2:]...) }, breakAt: 3, what: "hash mismatch"},
		{name: "first removed", rows: func() []store.ChainRow { return build(0)[1:] }, breakAt: 2, what: "hash mismatch"},
		{name: "swapped", rows: func() []store.ChainRow { r := build(0); r[1], r[2] = r[2], r[1]; return r }, breakAt: 3, what: "hash mismatch"},
		{name: "redacted row changed", rows: func() []store.ChainRow { r := erase(build(0)); r[0].Data = map[string]any{"owner": "rep-9"}; return r }, breakAt: 5, what: "redacted digest"},
		{name: "erased without erasure", rows: func() []store.ChainRow { r := build(0); r[1].Erased = true; r[1].Reason = ""; return r }, breakAt: 2, what: "without an erasure"},
		{name: "digests dropped", rows: func() []store.ChainRow { r := build(0); r[2].Hash, r[2].Content = nil, nil; return r }, breakAt: 3, what: "no hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, brk := store.VerifyChain(lead, tc.rows())
			switch {
			case tc.breakAt == 0 && brk != nil:
				t.Fatalf("break %v, want none", brk)
			case tc.breakAt != 0 && brk == nil:
				t.Fatalf("no break, want one at event %d", tc.breakAt)
			case tc.breakAt != 0 && (brk.EventID != tc.breakAt || !strings.Contains(brk.What, tc.what)):
				t.Fatalf("break %v, want event %d: %s", brk, tc.breakAt, tc.what)
			}
			if rep.Unchained != tc.unchained && brk == nil {
				t.Errorf("unchained = %d, want %d", rep.Unchained, tc.unchained)
			}
		})
	}
}

// BenchmarkChainEvent: the Go side of appending one routed event (canonical data, two digests),
// against the json.Marshal the store did before the chain.
func BenchmarkChainEvent(b *testing.B) {
	ev := store.AuditEvent{LeadID: "01a22e77-6dea-7926-82bf-0ca60e48a6c1", At: time.Now(), Actor: "controller", Type: "routed",
		Reason: "least loaded", Data: map[string]any{"policy": "ns/p", "generation": 3, "rule": "r1", "strategy": "least-loaded",
			"team": "ns/t", "owner": "rep-1", "why": "fewest open leads (3 of capacity 20) among 25 available members",
			"candidates": []any{"rep-1", "rep-2", "rep-3", "rep-4", "rep-5"}}}
	b.Run("marshal-only", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(ev.Data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chain", func(b *testing.B) {
		prev := make([]byte, store.HashSize)
		for b.Loop() {
			if _, _, err := store.ChainEvent(prev, ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

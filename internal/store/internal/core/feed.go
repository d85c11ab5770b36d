package core

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/leadops/leadops/internal/store"
)

// FeedPosition is where a feed reader stands: after the audit row ordered (Xact, ID). SQLite commits
// ids in order and orders by ID alone (Xact stays 0); PostgreSQL orders by the writing transaction's
// id first (see package postgres, feed.go). Epoch names the store that handed the position out.
type FeedPosition struct {
	Epoch string `json:"e"`
	Xact  uint64 `json:"x,omitempty"`
	ID    int64  `json:"i,omitempty"`
}

// IsStart reports whether p is the beginning of the feed.
func (p FeedPosition) IsStart() bool { return p.Xact == 0 && p.ID == 0 }

// Encode makes the opaque position string (base64url JSON, like the list cursor).
func (p FeedPosition) Encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeFeedPosition parses a position for the store of epoch: "" is the start; a string that is no
// position is store.ErrBadCursor; a position of another store (or of this one before its epoch
// changed) is store.ErrCursorExpired.
func DecodeFeedPosition(s, epoch string) (FeedPosition, error) {
	if s == "" {
		return FeedPosition{Epoch: epoch}, nil
	}
	p, err := parseFeedPosition(s)
	if err != nil {
		return FeedPosition{}, err
	}
	if p.Epoch != epoch {
		return FeedPosition{}, fmt.Errorf("%w: the position was handed out by another store (or this one before it was recreated)", store.ErrCursorExpired)
	}
	return p, nil
}

// CheckFeedPosition reports whether s is "" or a position some store handed out (ErrBadCursor
// otherwise): SaveCursor refuses to store anything else.
func CheckFeedPosition(s string) error {
	if s == "" {
		return nil
	}
	_, err := parseFeedPosition(s)
	return err
}

func parseFeedPosition(s string) (FeedPosition, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return FeedPosition{}, fmt.Errorf("%w: the feed position is not base64url", store.ErrBadCursor)
	}
	var p FeedPosition
	if err := json.Unmarshal(raw, &p); err != nil || p.Epoch == "" || p.ID < 0 || (p.ID == 0 && p.Xact != 0) {
		return FeedPosition{}, fmt.Errorf("%w: not a feed position", store.ErrBadCursor)
	}
	return p, nil
}

// FeedRow is one audit row a feed scan read, with its position.
type FeedRow struct {
	Pos     FeedPosition
	Event   store.AuditEvent
	Matched bool // of a type the query asks for (always, without Types)
}

// FeedWindow is what one scan returned: the rows of the window that match the query's types, plus
// its last row (matching or not), in feed order; Scanned counts every row of the window.
type FeedWindow struct {
	Rows    []FeedRow
	Scanned int
}

// FeedScanWindow is how many rows one filtered scan reads at a time.
const FeedScanWindow = 1000

// FeedScan reads up to window rows after pos in feed order and returns those of types (all when types
// is empty) plus the window's last row.
type FeedScan func(pos FeedPosition, window int, types []string) (FeedWindow, error)

// ReadFeed serves one page of the feed from scans: up to the query's limit of matching events; the
// position after the last event served, or after the last row scanned when the scan ran out of rows
// or of budget first, so filtered-out rows are never read twice. The backend has decoded and checked
// the query's position (from).
func ReadFeed(q store.FeedQuery, from FeedPosition, scan FeedScan) (store.FeedPage, error) {
	limit := store.FeedPageSize(q.Limit)
	types := slices.Clone(q.Types)
	slices.Sort(types)
	types = slices.Compact(types)
	window := limit
	if len(types) > 0 {
		window = max(limit, FeedScanWindow)
	}
	pos := from
	events := []store.AuditEvent{}
	for scanned := 0; ; {
		w, err := scan(pos, window, types)
		if err != nil {
			return store.FeedPage{}, err
		}
		for _, r := range w.Rows {
			if !r.Matched {
				continue
			}
			if len(events) == limit {
				break
			}
			events = append(events, r.Event)
			pos = r.Pos
		}
		if len(events) == limit {
			break
		}
		// Every match of the window is served: skip to its end.
		if n := len(w.Rows); n > 0 {
			pos = w.Rows[n-1].Pos
		}
		scanned += w.Scanned
		if w.Scanned < window || scanned >= store.FeedScanBudget {
			break
		}
	}
	// A caught-up reader compares strings (Next == After): hand its own position back verbatim.
	if pos == from && q.After != "" {
		return store.FeedPage{Events: events, Next: q.After}, nil
	}
	return store.FeedPage{Events: events, Next: pos.Encode()}, nil
}

// ValidConsumer checks a feed consumer's name (LoadCursor, SaveCursor).
func ValidConsumer(consumer string) error {
	if consumer == "" {
		return &store.FieldError{Path: "consumer", Message: "required"}
	}
	if len(consumer) > store.MaxTextLength {
		return &store.FieldError{Path: "consumer", Message: fmt.Sprintf("longer than %d bytes", store.MaxTextLength)}
	}
	return nil
}

// Epoch caches a store's epoch (store_meta), read once it is first needed: it never changes for
// the life of a database.
type Epoch struct {
	mu    sync.Mutex
	value string
}

// Get returns the epoch, reading it with load the first time (and again after a failed read).
func (e *Epoch) Get(load func() (string, error)) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.value != "" {
		return e.value, nil
	}
	v, err := load()
	if err != nil {
		return "", fmt.Errorf("read the store's epoch: %w", err)
	}
	if v == "" {
		return "", errors.New("read the store's epoch: store_meta holds an empty epoch")
	}
	e.value = v
	return v, nil
}

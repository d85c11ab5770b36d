package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// The feed on SQLite is the audit log in id order. One writer at a time commits whole transactions
// whose AUTOINCREMENT ids all exceed every id committed before, and a reader's snapshot holds whole
// transactions, so a reader that has seen id n has seen every id below n: the position is the id.

// feedSQL reads one window of the feed: up to ?2 rows after id ?1, of them those whose type is in
// the JSON array ?3 (all when it is null) and the window's last row, with the window's size.
const feedSQL = `SELECT id, lead_id, at, actor, type, reason, data, matched, total FROM (
	SELECT w.*, (?3 IS NULL OR w.type IN (SELECT value FROM json_each(?3))) AS matched,
	       row_number() OVER (ORDER BY w.id) AS n, count(*) OVER () AS total
	FROM (SELECT id, lead_id, at, actor, type, reason, data FROM audit_events
	      WHERE id > ?1 ORDER BY id LIMIT ?2) w
) WHERE matched OR n = total ORDER BY id`

// EventsAfter returns the audit events committed after q.After (see store.Backend).
func (s *Store) EventsAfter(ctx context.Context, q store.FeedQuery) (store.FeedPage, error) {
	epoch, err := s.feedEpoch(ctx)
	if err != nil {
		return store.FeedPage{}, err
	}
	from, err := core.DecodeFeedPosition(q.After, epoch)
	if err != nil {
		return store.FeedPage{}, err
	}
	if !from.IsStart() {
		// The row a position names is never deleted: missing, the file was replaced by an older
		// copy, and serving from there would skip what is written until ids pass it again.
		var one int
		err := s.r.QueryRowContext(ctx, `SELECT 1 FROM audit_events WHERE id = ?`, from.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.FeedPage{}, fmt.Errorf("%w: the store holds no event at the position (was it restored from a backup?)", store.ErrCursorExpired)
		}
		if err != nil {
			return store.FeedPage{}, fmt.Errorf("events after: %w", err)
		}
	}
	page, err := core.ReadFeed(q, from, func(pos core.FeedPosition, window int, types []string) (core.FeedWindow, error) {
		return s.feedWindow(ctx, pos, window, types)
	})
	if err != nil {
		return store.FeedPage{}, fmt.Errorf("events after: %w", err)
	}
	return page, nil
}

func (s *Store) feedWindow(ctx context.Context, pos core.FeedPosition, window int, types []string) (core.FeedWindow, error) {
	var filter any // NULL: every type
	if len(types) > 0 {
		b, err := json.Marshal(types)
		if err != nil {
			return core.FeedWindow{}, err
		}
		filter = string(b)
	}
	rows, err := s.r.QueryContext(ctx, feedSQL, pos.ID, window, filter)
	if err != nil {
		return core.FeedWindow{}, err
	}
	defer rows.Close()
	var w core.FeedWindow
	for rows.Next() {
		var (
			r     core.FeedRow
			at    int64
			data  string
			total int
		)
		if err := rows.Scan(&r.Event.ID, &r.Event.LeadID, &at, &r.Event.Actor, &r.Event.Type, &r.Event.Reason, &data, &r.Matched, &total); err != nil {
			return core.FeedWindow{}, err
		}
		r.Event.At = fromMicros(at)
		if data != "{}" {
			if err := json.Unmarshal([]byte(data), &r.Event.Data); err != nil {
				return core.FeedWindow{}, fmt.Errorf("audit event %d: %w", r.Event.ID, err)
			}
		}
		r.Pos = core.FeedPosition{Epoch: pos.Epoch, ID: r.Event.ID}
		w.Rows, w.Scanned = append(w.Rows, r), total
	}
	return w, rows.Err()
}

func (s *Store) feedEpoch(ctx context.Context) (string, error) {
	return s.epoch.Get(func() (string, error) {
		var v string
		err := s.r.QueryRowContext(ctx, `SELECT value FROM store_meta WHERE key = 'epoch'`).Scan(&v)
		return v, err
	})
}

// LoadCursor returns the position consumer saved, "" when none.
func (s *Store) LoadCursor(ctx context.Context, consumer string) (string, error) {
	if err := core.ValidConsumer(consumer); err != nil {
		return "", err
	}
	var pos string
	err := s.r.QueryRowContext(ctx, `SELECT position FROM feed_cursors WHERE consumer = ?`, consumer).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load feed cursor of %s: %w", consumer, err)
	}
	return pos, nil
}

// SaveCursor stores the position of consumer ("" or one EventsAfter handed out).
func (s *Store) SaveCursor(ctx context.Context, consumer, position string) error {
	if err := core.ValidConsumer(consumer); err != nil {
		return err
	}
	if err := core.CheckFeedPosition(position); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_cursors (consumer, position, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
			consumer, position, s.opts.Now().UnixMicro())
		if err != nil {
			return fmt.Errorf("save feed cursor of %s: %w", consumer, err)
		}
		return nil
	})
}

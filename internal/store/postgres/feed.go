package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// The feed on PostgreSQL orders the audit log by (xact_id, id), xact_id being the id of the
// transaction that wrote the row (the column's default, pg_current_xact_id()), and serves only rows
// whose transaction is below the xmin of the statement's own snapshot.
//
// Why that never skips an event: every transaction below xmin has ended, so every committed row it
// wrote is visible to the statement, and the page serves them in order. A row that becomes visible
// later was written by a transaction still running (or not yet started) when the statement ran, whose
// id is at or above that xmin: above every xact_id served, so it orders after the reader's position.
// Ordering by raw id would not do: ids are allocated at insert, so a long transaction can commit id
// 100 after id 101 was committed and served.
//
// The price: an event is served only once every transaction older than its own has ended, so a
// transaction left open (in this database or another of the cluster: xmin is cluster-wide) holds the
// feed back until it ends. Transactions that never write (no xid) do not count.

// feedSQL reads one window of the feed: up to $3 rows after ($1, $2), of them those whose type is in
// $4 (all when null) and the window's last row, with the window's size.
//
// The text of xact_id is selected as xact: named xact_id, it would be what ORDER BY xact_id sorts, and
// "1000" sorts before "999".
const feedSQL = `SELECT id, xact_id::text AS xact, lead_id::text, at, actor, type, reason, data::text, matched, total FROM (
	SELECT w.*, ($4::text[] IS NULL OR w.type = ANY($4::text[])) AS matched,
	       row_number() OVER (ORDER BY w.xact_id, w.id) AS n, count(*) OVER () AS total
	FROM (SELECT id, xact_id, lead_id, at, actor, type, reason, data FROM audit_events
	      WHERE (xact_id, id) > ($1::text::xid8, $2::bigint)
	        AND xact_id < audit_feed_horizon()
	      ORDER BY xact_id, id LIMIT $3) w
) x WHERE matched OR n = total ORDER BY x.xact_id, x.id`

// feedAllSQL is feedSQL without a type filter: every row matches, the window is the page.
const feedAllSQL = `SELECT id, xact_id::text AS xact, lead_id::text, at, actor, type, reason, data::text, true, 0
	FROM audit_events
	WHERE (xact_id, id) > ($1::text::xid8, $2::bigint)
	  AND xact_id < audit_feed_horizon()
	ORDER BY audit_events.xact_id, audit_events.id LIMIT $3`

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
		// The row a position names is never deleted: missing, the database was restored from an
		// older backup, and serving from there could skip what is written until ids pass it again.
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_events WHERE id = $1 AND xact_id = $2::text::xid8)`,
			from.ID, strconv.FormatUint(from.Xact, 10)).Scan(&ok); err != nil {
			return store.FeedPage{}, fmt.Errorf("events after: %w", err)
		}
		if !ok {
			return store.FeedPage{}, fmt.Errorf("%w: the store holds no event at the position (was it restored from a backup?)", store.ErrCursorExpired)
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
	var rows pgx.Rows
	var err error
	xact := strconv.FormatUint(pos.Xact, 10)
	if len(types) == 0 {
		rows, err = s.pool.Query(ctx, feedAllSQL, xact, pos.ID, window)
	} else {
		rows, err = s.pool.Query(ctx, feedSQL, xact, pos.ID, window, types)
	}
	if err != nil {
		return core.FeedWindow{}, err
	}
	defer rows.Close()
	var w core.FeedWindow
	for rows.Next() {
		var (
			r     core.FeedRow
			x     string
			data  string
			total int64
		)
		if err := rows.Scan(&r.Event.ID, &x, &r.Event.LeadID, &r.Event.At, &r.Event.Actor, &r.Event.Type, &r.Event.Reason, &data, &r.Matched, &total); err != nil {
			return core.FeedWindow{}, err
		}
		xid, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return core.FeedWindow{}, fmt.Errorf("audit event %d: xact_id %q: %w", r.Event.ID, x, err)
		}
		r.Event.At = r.Event.At.UTC()
		if data != "{}" {
			if err := json.Unmarshal([]byte(data), &r.Event.Data); err != nil {
				return core.FeedWindow{}, fmt.Errorf("audit event %d: %w", r.Event.ID, err)
			}
		}
		r.Pos = core.FeedPosition{Epoch: pos.Epoch, Xact: xid, ID: r.Event.ID}
		w.Rows = append(w.Rows, r)
		if len(types) == 0 {
			w.Scanned++
		} else {
			w.Scanned = int(total)
		}
	}
	return w, rows.Err()
}

func (s *Store) feedEpoch(ctx context.Context) (string, error) {
	return s.epoch.Get(func() (string, error) {
		var v string
		err := s.pool.QueryRow(ctx, `SELECT value FROM store_meta WHERE key = 'epoch'`).Scan(&v)
		return v, err
	})
}

// LoadCursor returns the position consumer saved, "" when none.
func (s *Store) LoadCursor(ctx context.Context, consumer string) (string, error) {
	if err := core.ValidConsumer(consumer); err != nil {
		return "", err
	}
	var pos string
	err := s.pool.QueryRow(ctx, `SELECT position FROM feed_cursors WHERE consumer = $1`, consumer).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO feed_cursors (consumer, position, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
		consumer, position, s.opts.Now())
	if err != nil {
		return fmt.Errorf("save feed cursor of %s: %w", consumer, err)
	}
	return nil
}

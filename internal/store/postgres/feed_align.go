package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// alignFeedXact keeps new audit events ordered after every stored one in the feed. xact_id is the
// writing transaction's id plus an offset (0 until needed). A database restored from a logical dump
// (pg_dump, or a copy into a managed service) into another cluster keeps the stored xact_ids while
// the new cluster's transaction counter starts far lower: new events would then sort before events a
// consumer has already passed, and never reach it. When the stored maximum is at or above the next
// transaction id to be handed out (plus the offset), which never happens in one cluster's life, the
// offset grows so that every transaction still running or to come sorts after the maximum, and both
// audit_feed_xact() and audit_feed_horizon() add it.
//
// The change is made under a lock that waits for every transaction writing audit rows and holds new
// ones until it commits (readers go on), so no row is written with the old offset after a reader saw
// the new horizon. Cheap when nothing is to do: one index lookup and a snapshot, at Open.
func alignFeedXact(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	behind, err := feedXactBehind(ctx, pool)
	if err != nil || !behind {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("align the feed's transaction ids: %w", err)
		}
		maxX, xmin, xmax, offset, err := feedXactState(ctx, tx)
		if err != nil {
			return err
		}
		next, ok := newXactOffset(maxX, xmin, xmax, offset)
		if !ok {
			return nil // another process aligned it meanwhile
		}
		for _, stmt := range []string{
			fmt.Sprintf(`CREATE OR REPLACE FUNCTION audit_feed_xact() RETURNS xid8 LANGUAGE sql VOLATILE AS
				$$ SELECT (pg_current_xact_id()::text::numeric + %s)::text::xid8 $$`, next),
			fmt.Sprintf(`CREATE OR REPLACE FUNCTION audit_feed_horizon() RETURNS xid8 LANGUAGE sql STABLE AS
				$$ SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::numeric + %s)::text::xid8 $$`, next),
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("align the feed's transaction ids: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE store_meta SET value = $1 WHERE key = 'xact_offset'`, next); err != nil {
			return fmt.Errorf("align the feed's transaction ids: %w", err)
		}
		log.Warn("the audit log holds transaction ids ahead of this server's (restored from a logical dump?): "+
			"the event feed now offsets new ones to keep them after the stored events",
			"storedMax", maxX, "oldestRunning", xmin, "next", xmax, "offset", next)
		return nil
	})
}

// feedXactBehind reports whether new transactions could get an xact_id at or below the stored maximum.
func feedXactBehind(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	maxX, xmin, xmax, offset, err := feedXactState(ctx, pool)
	if err != nil {
		return false, err
	}
	_, behind := newXactOffset(maxX, xmin, xmax, offset)
	return behind, nil
}

// feedXactState reads the largest stored xact_id, the statement snapshot's xmin and xmax, and the
// offset, as decimal strings (xid8 values are unsigned 64-bit).
func feedXactState(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (maxX, xmin, xmax, offset string, err error) {
	err = q.QueryRow(ctx, `SELECT coalesce((SELECT xact_id FROM audit_events ORDER BY xact_id DESC LIMIT 1)::text, '0'),
			pg_snapshot_xmin(pg_current_snapshot())::text, pg_snapshot_xmax(pg_current_snapshot())::text,
			(SELECT value FROM store_meta WHERE key = 'xact_offset')`).Scan(&maxX, &xmin, &xmax, &offset)
	if err != nil {
		err = fmt.Errorf("check the feed's transaction ids: %w", err)
	}
	return
}

// newXactOffset returns the offset that puts every transaction from xmin on after maxX, when the
// stored maximum is at or above the next transaction id (xmax) plus the current offset: only a
// restore into another cluster does that. Committed rows of one cluster always lie below xmax plus
// the offset, even while an old transaction holds xmin back.
func newXactOffset(maxX, xmin, xmax, offset string) (string, bool) {
	m, ok1 := new(big.Int).SetString(maxX, 10)
	lo, ok2 := new(big.Int).SetString(xmin, 10)
	hi, ok3 := new(big.Int).SetString(xmax, 10)
	o, ok4 := new(big.Int).SetString(offset, 10)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return "", false
	}
	if m.Cmp(new(big.Int).Add(hi, o)) < 0 {
		return "", false
	}
	// xmin + next = maxX + 1: every row from a transaction running now or later sorts after maxX.
	next := new(big.Int).Sub(new(big.Int).Add(m, big.NewInt(1)), lo)
	return next.String(), true
}

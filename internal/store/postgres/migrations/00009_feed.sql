-- The event feed (store.Backend.EventsAfter). Audit ids come from an identity column, allocated at
-- insert: a transaction still in flight can hold a smaller id than one already committed, so a reader
-- that served "everything up to id n" would skip the smaller id when it commits. The feed therefore
-- orders by (xact_id, id), xact_id being the writing transaction's id, and serves only the rows
-- whose transaction is below the reader's snapshot xmin: every transaction there has finished, so
-- all its rows are visible now, and a row written later belongs to a transaction at or above xmin,
-- which orders after everything served (package postgres, feed.go).
--
-- Both go through a function, audit_feed_xact() for the column default and audit_feed_horizon() for
-- the reader, so that the store can add one offset to both (feed_align.go) when the database was
-- restored from a logical dump into a cluster whose transaction counter is behind the restored
-- xact_ids: new events must still sort after them. Until then the offset is 0.
--
-- Rows written before this migration get xact_id 0: they were all committed when it ran (ALTER TABLE
-- waits for every transaction that wrote to audit_events), so they come first, in id order. The
-- constant default then the volatile one keeps the ALTER from rewriting the table.
--
-- store_meta holds the store's epoch, a random id every feed position carries: a position from
-- another store (or from this database before it was recreated) is refused as expired instead of
-- silently skipping or replaying events; and the xact_id offset. feed_cursors holds the positions
-- named consumers save (webhook subscriptions, CRM write-back).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION audit_feed_xact() RETURNS xid8 LANGUAGE sql VOLATILE AS $$ SELECT pg_current_xact_id() $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION audit_feed_horizon() RETURNS xid8 LANGUAGE sql STABLE AS $$ SELECT pg_snapshot_xmin(pg_current_snapshot()) $$;
-- +goose StatementEnd
ALTER TABLE audit_events ADD COLUMN xact_id xid8 NOT NULL DEFAULT '0';
ALTER TABLE audit_events ALTER COLUMN xact_id SET DEFAULT audit_feed_xact();
CREATE INDEX audit_events_feed_idx ON audit_events (xact_id, id);

CREATE TABLE store_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('epoch', replace(gen_random_uuid()::text, '-', '')), ('xact_offset', '0');

CREATE TABLE feed_cursors (
    consumer   text PRIMARY KEY,
    position   text NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE feed_cursors;
DROP TABLE store_meta;
DROP INDEX audit_events_feed_idx;
ALTER TABLE audit_events DROP COLUMN xact_id;
DROP FUNCTION audit_feed_horizon();
DROP FUNCTION audit_feed_xact();

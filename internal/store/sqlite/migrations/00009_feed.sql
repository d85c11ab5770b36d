-- The event feed (store.Backend.EventsAfter): the audit log in id order, which on SQLite is commit
-- order (one writer at a time, AUTOINCREMENT never reuses an id), so audit_events' primary key is
-- the feed's index already. store_meta holds the store's epoch, a random id every feed position
-- carries: a position from another store (or from this file before it was recreated) is refused as
-- expired instead of silently skipping or replaying events. feed_cursors holds the positions named
-- consumers save (webhook subscriptions, CRM write-back).

-- +goose Up
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));

CREATE TABLE feed_cursors (
    consumer   TEXT PRIMARY KEY,
    position   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE feed_cursors;
DROP TABLE store_meta;

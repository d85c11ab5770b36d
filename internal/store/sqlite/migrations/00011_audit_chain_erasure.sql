-- The tamper-evident audit log and the erasure of personal data (docs/audit-chain.md).
--
-- content_hash and hash are each event's content digest and chain hash (store.ChainEvent), computed
-- by the store as it inserts (one writer at a time: a lead's head is read in the writing
-- transaction). Events written before this migration keep NULL digests: the unchained prefix of
-- their lead's chain, taken as given.
--
-- erased marks an event whose reason and data an erasure replaced. The append-only rule stays: the
-- update trigger refuses every UPDATE except one that only replaces reason and data and sets erased,
-- of a lead for which the erasing transaction holds a row in audit_erasures (it inserts and deletes
-- it within the transaction). DELETE stays refused.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN content_hash BLOB;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
ALTER TABLE audit_events ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;

CREATE TABLE audit_erasures (lead_id TEXT PRIMARY KEY);

-- leads.erased_at (Unix microseconds) is when the lead's personal data was last erased; retention
-- finds the closed leads not yet erased through leads_erasable_idx.
ALTER TABLE leads ADD COLUMN erased_at INTEGER;
CREATE INDEX leads_erasable_idx ON leads (coalesce(closed_at, updated_at), id)
    WHERE erased_at IS NULL AND stage IN ('won', 'lost', 'disqualified');

DROP TRIGGER audit_events_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (
    EXISTS (SELECT 1 FROM audit_erasures WHERE lead_id = OLD.lead_id)
    AND OLD.erased = 0 AND NEW.erased = 1
    AND NEW.id = OLD.id AND NEW.lead_id = OLD.lead_id AND NEW.at = OLD.at
    AND NEW.actor = OLD.actor AND NEW.type = OLD.type
    AND NEW.content_hash IS OLD.content_hash AND NEW.hash IS OLD.hash)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only (only an erasure may replace an event''s reason and data)');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
DROP INDEX leads_erasable_idx;
ALTER TABLE leads DROP COLUMN erased_at;
DROP TABLE audit_erasures;
ALTER TABLE audit_events DROP COLUMN erased;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN content_hash;

-- The duplicate attribute (store.Options.DuplicateAttribute): a lead's key "name=value", recorded
-- when it is inserted (core.DuplicateKey; '' for none), which a new lead with another email matches
-- an open original on, serialized per key by pg_advisory_xact_lock(hashtextextended(key, 0)) like
-- emails. A plain column rather than an expression index on attributes->>'…' because the attribute
-- is configured at run time; the partial index holds only the open originals with a key
-- (core.DuplicateKeyOpenWhere).

-- +goose Up
ALTER TABLE leads ADD COLUMN duplicate_key text NOT NULL DEFAULT '';
CREATE INDEX leads_open_key_idx ON leads (duplicate_key, created_at, id)
    WHERE duplicate_key <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');

-- +goose Down
DROP INDEX leads_open_key_idx;
ALTER TABLE leads DROP COLUMN duplicate_key;

-- The duplicate attribute (store.Options.DuplicateAttribute): a lead's key "name=value", recorded
-- when it is inserted (core.DuplicateKey; '' for none), which a new lead with another email matches
-- an open original on. A plain column rather than a json_extract() expression because the attribute
-- is configured at run time; the partial index holds only the open originals with a key, and the
-- lookup repeats its WHERE verbatim (core.DuplicateKeyOpenWhere), which is how SQLite matches it.

-- +goose Up
ALTER TABLE leads ADD COLUMN duplicate_key TEXT NOT NULL DEFAULT '';
CREATE INDEX leads_open_key_idx ON leads (duplicate_key, created_at, id)
    WHERE duplicate_key <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');

-- +goose Down
DROP INDEX leads_open_key_idx;
ALTER TABLE leads DROP COLUMN duplicate_key;

-- Duplicates: a lead created with the same email as an open lead (lead.DuplicateStages) records that
-- lead's id in duplicate_of, in the insert's transaction (serialized per email by
-- pg_advisory_xact_lock(hashtextextended(email, 0))). The partial index holds only the open
-- originals with an email, the set the insert looks a new email up in (core.DuplicateOpenWhere).
-- Text, not uuid: '' is "no original", which keeps the predicate the same on both backends.

-- +goose Up
ALTER TABLE leads ADD COLUMN duplicate_of text NOT NULL DEFAULT '';
CREATE INDEX leads_open_email_idx ON leads (email, created_at, id)
    WHERE email <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');
CREATE INDEX leads_duplicate_of_idx ON leads (duplicate_of) WHERE duplicate_of <> '';

-- +goose Down
DROP INDEX leads_duplicate_of_idx;
DROP INDEX leads_open_email_idx;
ALTER TABLE leads DROP COLUMN duplicate_of;

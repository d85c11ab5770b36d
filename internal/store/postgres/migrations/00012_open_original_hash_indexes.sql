-- The open-originals indexes of the duplicate check (00004, 00008) become hash indexes on the email
-- (duplicate key) alone. The check only ever probes them for equality, and a new lead with an email
-- enters the email one: a hash index costs that insert about a hash and one bucket page instead of
-- a descent to a random leaf of a three-column B-tree, which made the batch upsert measurably slower
-- (hack/bench-ingest-vs-baseline.sh). The oldest open original is still found first: the lookup
-- sorts the few open leads of one email by (created_at, id). Both indexes hold only open leads, so
-- rebuilding them is quick even in a large store.

-- +goose Up
DROP INDEX leads_open_email_idx;
CREATE INDEX leads_open_email_idx ON leads USING hash (email)
    WHERE email <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');
DROP INDEX leads_open_key_idx;
CREATE INDEX leads_open_key_idx ON leads USING hash (duplicate_key)
    WHERE duplicate_key <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');

-- +goose Down
DROP INDEX leads_open_key_idx;
CREATE INDEX leads_open_key_idx ON leads (duplicate_key, created_at, id)
    WHERE duplicate_key <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');
DROP INDEX leads_open_email_idx;
CREATE INDEX leads_open_email_idx ON leads (email, created_at, id)
    WHERE email <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted');

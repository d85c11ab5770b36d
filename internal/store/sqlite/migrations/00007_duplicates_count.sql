-- The duplicates count: on an original, how many leads the store linked to it as duplicates
-- (duplicate_of = its id), incremented in the transaction that inserts and links each one. Existing
-- links are counted once here (leads_duplicate_of_idx).

-- +goose Up
ALTER TABLE leads ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
UPDATE leads SET duplicates = (SELECT count(*) FROM leads d WHERE d.duplicate_of = leads.id)
    WHERE id IN (SELECT duplicate_of FROM leads WHERE duplicate_of <> '');

-- +goose Down
ALTER TABLE leads DROP COLUMN duplicates;

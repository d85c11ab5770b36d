-- The duplicates count: on an original, how many leads the store linked to it as duplicates
-- (duplicate_of = its id), incremented in the transaction that inserts and links each one. Existing
-- links are counted once here (leads_duplicate_of_idx).

-- +goose Up
ALTER TABLE leads ADD COLUMN duplicates integer NOT NULL DEFAULT 0;
UPDATE leads l SET duplicates = d.n
    FROM (SELECT duplicate_of, count(*) AS n FROM leads WHERE duplicate_of <> '' GROUP BY duplicate_of) d
    WHERE l.id::text = d.duplicate_of;

-- +goose Down
ALTER TABLE leads DROP COLUMN duplicates;

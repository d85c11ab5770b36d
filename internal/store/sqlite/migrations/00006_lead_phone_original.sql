-- Normalization at ingest (internal/validate.NormalizeLead): the lead's phone in E.164, and the
-- original record, field → value as the source sent it (JSON text), for every field normalization
-- changed.

-- +goose Up
ALTER TABLE leads ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN original TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE leads DROP COLUMN original;
ALTER TABLE leads DROP COLUMN phone;

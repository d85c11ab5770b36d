-- Normalization at ingest (internal/validate.NormalizeLead): the lead's phone in E.164, and the
-- original record, field → value as the source sent it, for every field normalization changed.

-- +goose Up
ALTER TABLE leads ADD COLUMN phone text NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN original jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE leads DROP COLUMN original;
ALTER TABLE leads DROP COLUMN phone;

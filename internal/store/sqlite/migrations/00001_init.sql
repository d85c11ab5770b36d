-- Times are INTEGER Unix microseconds (UTC): they sort and range-scan as numbers and round-trip
-- exactly, like PostgreSQL's timestamptz.

-- +goose Up
CREATE TABLE leads (
    id                 TEXT PRIMARY KEY,
    external_id        TEXT UNIQUE,
    email              TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL DEFAULT '',
    company            TEXT NOT NULL DEFAULT '',
    domain             TEXT NOT NULL DEFAULT '',
    country            TEXT NOT NULL DEFAULT '',
    industry           TEXT NOT NULL DEFAULT '',
    employees          INTEGER NOT NULL DEFAULT 0 CHECK (employees >= 0),
    source             TEXT NOT NULL DEFAULT '',
    campaign           TEXT NOT NULL DEFAULT '',
    score              INTEGER NOT NULL DEFAULT 0,
    attributes         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    stage              TEXT NOT NULL CHECK (stage IN ('new', 'qualified', 'disqualified', 'routed', 'touched', 'accepted', 'rejected', 'won', 'lost')),
    owner              TEXT NOT NULL DEFAULT '',
    team               TEXT NOT NULL DEFAULT '',
    policy             TEXT NOT NULL DEFAULT '',
    reason             TEXT NOT NULL DEFAULT '',
    amount             REAL NOT NULL DEFAULT 0,
    reassignment_count INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    qualified_at       INTEGER,
    routed_at          INTEGER,
    touched_at         INTEGER,
    accepted_at        INTEGER,
    rejected_at        INTEGER,
    closed_at          INTEGER,
    first_touch_due    INTEGER,
    acceptance_due     INTEGER,
    version            INTEGER NOT NULL DEFAULT 1
);
-- Cursor pagination over everything, and the rep / team / policy / stage queues in the same order.
CREATE INDEX leads_created_idx ON leads (created_at, id);
CREATE INDEX leads_owner_idx ON leads (owner, created_at, id);
CREATE INDEX leads_team_idx ON leads (team, created_at, id);
CREATE INDEX leads_policy_idx ON leads (policy, created_at, id);
CREATE INDEX leads_stage_idx ON leads (stage, created_at, id);
-- The SLA clock range-scans the deadlines of open handoffs.
CREATE INDEX leads_first_touch_due_idx ON leads (first_touch_due) WHERE first_touch_due IS NOT NULL;
CREATE INDEX leads_acceptance_due_idx ON leads (acceptance_due) WHERE acceptance_due IS NOT NULL;

CREATE TABLE accounts (
    domain     TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    owner      TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

-- No foreign key to leads: every audit row is written by the store in the transaction that wrote
-- its lead (and leads are never deleted), while the per-row FK check doubled the cost of a batch's
-- audit insert.
CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    type    TEXT NOT NULL,
    reason  TEXT NOT NULL DEFAULT '',
    data    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
);
CREATE INDEX audit_events_lead_idx ON audit_events (lead_id, id);

-- The audit log is append-only: refuse edits and deletions at the database itself.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_events;
DROP TABLE accounts;
DROP TABLE leads;

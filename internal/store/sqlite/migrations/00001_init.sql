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
    rule               TEXT NOT NULL DEFAULT '',
    first_touch_warn   INTEGER,
    acceptance_warn    INTEGER,
    first_touch_breached_at INTEGER,
    acceptance_breached_at  INTEGER,
    breach_count       INTEGER NOT NULL DEFAULT 0,
    last_breach_at     INTEGER,
    previous_owners    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(previous_owners)),
    version            INTEGER NOT NULL DEFAULT 1
);
-- Cursor pagination over everything, and the rep / team / policy / stage queues in the same order.
CREATE INDEX leads_created_idx ON leads (created_at, id);
CREATE INDEX leads_owner_idx ON leads (owner, created_at, id);
CREATE INDEX leads_team_idx ON leads (team, created_at, id);
CREATE INDEX leads_policy_idx ON leads (policy, created_at, id);
CREATE INDEX leads_stage_idx ON leads (stage, created_at, id);
-- The SLA clock range-scans the deadlines of open handoffs whose breach is not yet recorded: the
-- indexes hold only those, so finding what is due reads what is due, not what is open. The WHERE
-- clauses are repeated verbatim by the queries (SQLite matches partial indexes by their terms).
CREATE INDEX leads_first_touch_due_idx ON leads (first_touch_due)
    WHERE stage = 'routed' AND first_touch_breached_at IS NULL AND first_touch_due IS NOT NULL;
CREATE INDEX leads_acceptance_due_idx ON leads (acceptance_due)
    WHERE stage IN ('routed', 'touched') AND acceptance_breached_at IS NULL AND acceptance_due IS NOT NULL;
-- The router's queue: new leads, and qualified ones waiting for an owner, oldest first.
CREATE INDEX leads_pending_idx ON leads (created_at, id)
    WHERE stage = 'new' OR (stage = 'qualified' AND owner = '');
-- Open load per rep (what capacity limits), and open handoffs per policy (SLA figures).
CREATE INDEX leads_open_owner_idx ON leads (owner) WHERE stage IN ('routed', 'touched');
CREATE INDEX leads_open_policy_idx ON leads (policy) WHERE stage IN ('routed', 'touched');
-- Round robin and weighted shares resume from a rule's history.
CREATE INDEX leads_rule_idx ON leads (policy, rule, routed_at, owner);

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

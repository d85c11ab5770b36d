-- +goose Up
-- change_seq orders every write to a lead: after a dropped LISTEN connection the notifier replays
-- the leads changed since the last sequence it saw.
CREATE SEQUENCE lead_change_seq;

CREATE TABLE leads (
    id                 uuid PRIMARY KEY,
    external_id        text UNIQUE,
    email              text NOT NULL DEFAULT '',
    name               text NOT NULL DEFAULT '',
    company            text NOT NULL DEFAULT '',
    domain             text NOT NULL DEFAULT '',
    country            text NOT NULL DEFAULT '',
    industry           text NOT NULL DEFAULT '',
    employees          bigint NOT NULL DEFAULT 0 CHECK (employees >= 0),
    source             text NOT NULL DEFAULT '',
    campaign           text NOT NULL DEFAULT '',
    score              bigint NOT NULL DEFAULT 0,
    attributes         jsonb NOT NULL DEFAULT '{}',
    stage              text NOT NULL CHECK (stage IN ('new', 'qualified', 'disqualified', 'routed', 'touched', 'accepted', 'rejected', 'won', 'lost')),
    owner              text NOT NULL DEFAULT '',
    team               text NOT NULL DEFAULT '',
    policy             text NOT NULL DEFAULT '',
    reason             text NOT NULL DEFAULT '',
    amount             double precision NOT NULL DEFAULT 0,
    reassignment_count integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    qualified_at       timestamptz,
    routed_at          timestamptz,
    touched_at         timestamptz,
    accepted_at        timestamptz,
    rejected_at        timestamptz,
    closed_at          timestamptz,
    first_touch_due    timestamptz,
    acceptance_due     timestamptz,
    rule               text NOT NULL DEFAULT '',
    first_touch_warn   timestamptz,
    acceptance_warn    timestamptz,
    first_touch_breached_at timestamptz,
    acceptance_breached_at  timestamptz,
    breach_count       integer NOT NULL DEFAULT 0,
    last_breach_at     timestamptz,
    previous_owners    jsonb NOT NULL DEFAULT '[]',
    version            bigint NOT NULL DEFAULT 1,
    change_seq         bigint NOT NULL DEFAULT nextval('lead_change_seq')
);
-- Cursor pagination over everything, and the rep / team / policy / stage queues in the same order.
CREATE INDEX leads_created_idx ON leads (created_at, id);
CREATE INDEX leads_owner_idx ON leads (owner, created_at, id);
CREATE INDEX leads_team_idx ON leads (team, created_at, id);
CREATE INDEX leads_policy_idx ON leads (policy, created_at, id);
CREATE INDEX leads_stage_idx ON leads (stage, created_at, id);
-- The SLA clock range-scans the deadlines of open handoffs whose breach is not yet recorded: the
-- indexes hold only those, so finding what is due reads what is due, not what is open.
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
CREATE INDEX leads_rule_idx ON leads (policy, rule, routed_at) INCLUDE (owner);
CREATE INDEX leads_change_seq_idx ON leads (change_seq);

CREATE TABLE accounts (
    domain     text PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    owner      text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL
);

-- No foreign key to leads: every audit row is written by the store in the transaction that wrote
-- its lead (and leads are never deleted), while the per-row FK check doubled the cost of a batch's
-- audit insert.
CREATE TABLE audit_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id uuid NOT NULL,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    type    text NOT NULL,
    reason  text NOT NULL DEFAULT '',
    data    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_lead_idx ON audit_events (lead_id, id);

-- The audit log is append-only: refuse edits and deletions at the database itself.
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE accounts;
DROP TABLE leads;
DROP SEQUENCE lead_change_seq;

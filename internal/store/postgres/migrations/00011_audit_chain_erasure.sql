-- The tamper-evident audit log and the erasure of personal data (docs/audit-chain.md).
--
-- content_hash and hash are each event's content digest and chain hash (store.ChainEvent). Events
-- written before this migration keep NULL digests: they are the unchained prefix of their lead's
-- chain, taken as given (verify counts them), and the chain starts at a lead's first new event.
-- audit_append computes the chain hashes of a batch in one statement: per lead one backward probe
-- of audit_events_lead_idx for its head (none for a lead created in the batch; events of the same
-- lead later in the batch chain to the earlier ones). It relies on what every writer of the store does: an event is appended in the
-- transaction that wrote (and so row-locked) its lead, so two transactions never extend one lead's
-- chain at once.
--
-- erased marks an event whose reason and data an erasure replaced. The append-only rule stays: the
-- row trigger refuses every UPDATE except, inside audit_erase_begin()'s transaction, one that only
-- replaces reason and data and sets erased; DELETE and TRUNCATE stay refused.

-- leads.erased_at is when the lead's personal data was last erased; retention
-- (--retain-personal-data) finds the closed leads not yet erased through leads_erasable_idx.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN content_hash bytea, ADD COLUMN hash bytea,
    ADD COLUMN erased boolean NOT NULL DEFAULT false;
ALTER TABLE leads ADD COLUMN erased_at timestamptz;
CREATE INDEX leads_erasable_idx ON leads ((coalesce(closed_at, updated_at)), id)
    WHERE erased_at IS NULL AND stage IN ('won', 'lost', 'disqualified');

-- +goose StatementBegin
CREATE FUNCTION audit_append(p_lead text[], p_at timestamptz[], p_actor text[], p_type text[],
    p_reason text[], p_data text[], p_content bytea[], p_entry bytea[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    hashes bytea[] := array_fill(NULL::bytea, ARRAY[cardinality(p_lead)]);
    cur    uuid;
    prev   bytea;
    r      record;
BEGIN
    -- Only a lead's first event in the batch needs its head, and a lead's "created" event is its
    -- first ever (the store writes it only when it inserts the lead): no probe for those.
    FOR r IN
        SELECT e.ord, e.lead_id, e.entry,
               CASE WHEN e.first AND e.typ <> 'created' THEN
                   (SELECT a.hash FROM audit_events a WHERE a.lead_id = e.lead_id AND a.hash IS NOT NULL
                    ORDER BY a.id DESC LIMIT 1) END AS head
        FROM (SELECT u.*, row_number() OVER (PARTITION BY u.lead_id ORDER BY u.ord) = 1 AS first
              FROM unnest(p_lead::uuid[], p_entry, p_type) WITH ORDINALITY AS u(lead_id, entry, typ, ord)) e
        ORDER BY e.lead_id, e.ord
    LOOP
        IF cur IS DISTINCT FROM r.lead_id THEN
            cur := r.lead_id;
            prev := coalesce(r.head, decode(repeat('00', 32), 'hex'));
        END IF;
        prev := sha256(prev || r.entry);
        hashes[r.ord] := prev;
    END LOOP;
    INSERT INTO audit_events (lead_id, at, actor, type, reason, data, content_hash, hash)
    SELECT lead_id::uuid, at, actor, type, reason, data::jsonb, content, hash
    FROM unnest(p_lead, p_at, p_actor, p_type, p_reason, p_data, p_content, hashes)
        WITH ORDINALITY AS e(lead_id, at, actor, type, reason, data, content, hash, ord)
    ORDER BY ord;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_erase_begin() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('leadops.audit_erasure', 'on', true)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_events_erasure_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('leadops.audit_erasure', true), '') = 'on'
       AND NOT OLD.erased AND NEW.erased
       AND NEW.id = OLD.id AND NEW.lead_id = OLD.lead_id AND NEW.at = OLD.at
       AND NEW.actor = OLD.actor AND NEW.type = OLD.type AND NEW.xact_id = OLD.xact_id
       AND NEW.content_hash IS NOT DISTINCT FROM OLD.content_hash
       AND NEW.hash IS NOT DISTINCT FROM OLD.hash THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only (only an erasure may replace an event''s reason and data)';
END;
$$;
-- +goose StatementEnd

DROP TRIGGER audit_events_no_change ON audit_events;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_erasure_only BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_erasure_only();

-- +goose Down
DROP TRIGGER audit_events_erasure_only ON audit_events;
DROP TRIGGER audit_events_no_delete ON audit_events;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
DROP FUNCTION audit_events_erasure_only();
DROP FUNCTION audit_erase_begin();
DROP FUNCTION audit_append(text[], timestamptz[], text[], text[], text[], text[], bytea[], bytea[]);
ALTER TABLE audit_events DROP COLUMN erased, DROP COLUMN hash, DROP COLUMN content_hash;
DROP INDEX leads_erasable_idx;
ALTER TABLE leads DROP COLUMN erased_at;

-- A LeadPolicy's SLABreached condition stays True for a window after a breach is recorded, so its
-- status counts the policy's leads whose newest breach falls in that window and reads the newest
-- breach. (policy, last_breach_at) makes both a short range scan instead of a read of every lead
-- of the policy; partial, since most leads never breach.

-- +goose Up
CREATE INDEX leads_policy_last_breach_idx ON leads (policy, last_breach_at) WHERE last_breach_at IS NOT NULL;

-- +goose Down
DROP INDEX leads_policy_last_breach_idx;

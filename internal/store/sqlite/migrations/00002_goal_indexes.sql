-- Goal metrics (store.Goals) are range counts over one stage timestamp, for one team or for every
-- lead: each timestamp gets a (team, time) index and a (time) index. They are partial (time IS NOT
-- NULL: SQLite infers it from the query's range terms), so new leads, which have none of these
-- times, add nothing to them. Trailing columns make every aggregate covering (no table lookups):
-- the handoff fields of a qualified lead (SLA compliance), the stage of an accepted one (SQLs), the
-- stage and amount of a closed one (won deals, revenue), the routing time of a touched one (time to
-- first touch). created_at is served by leads_team_idx / leads_created_idx.

-- +goose Up
CREATE INDEX leads_goal_team_qualified_idx ON leads (team, qualified_at,
    routed_at, touched_at, stage, breach_count, first_touch_due, acceptance_due) WHERE qualified_at IS NOT NULL;
CREATE INDEX leads_goal_qualified_idx ON leads (qualified_at,
    routed_at, touched_at, stage, breach_count, first_touch_due, acceptance_due) WHERE qualified_at IS NOT NULL;
CREATE INDEX leads_goal_team_routed_idx ON leads (team, routed_at) WHERE routed_at IS NOT NULL;
CREATE INDEX leads_goal_routed_idx ON leads (routed_at) WHERE routed_at IS NOT NULL;
CREATE INDEX leads_goal_team_touched_idx ON leads (team, touched_at, routed_at) WHERE touched_at IS NOT NULL;
CREATE INDEX leads_goal_touched_idx ON leads (touched_at, routed_at) WHERE touched_at IS NOT NULL;
CREATE INDEX leads_goal_team_accepted_idx ON leads (team, accepted_at, stage) WHERE accepted_at IS NOT NULL;
CREATE INDEX leads_goal_accepted_idx ON leads (accepted_at, stage) WHERE accepted_at IS NOT NULL;
CREATE INDEX leads_goal_team_closed_idx ON leads (team, closed_at, stage, amount) WHERE closed_at IS NOT NULL;
CREATE INDEX leads_goal_closed_idx ON leads (closed_at, stage, amount) WHERE closed_at IS NOT NULL;

-- +goose Down
DROP INDEX leads_goal_closed_idx;
DROP INDEX leads_goal_team_closed_idx;
DROP INDEX leads_goal_accepted_idx;
DROP INDEX leads_goal_team_accepted_idx;
DROP INDEX leads_goal_touched_idx;
DROP INDEX leads_goal_team_touched_idx;
DROP INDEX leads_goal_routed_idx;
DROP INDEX leads_goal_team_routed_idx;
DROP INDEX leads_goal_qualified_idx;
DROP INDEX leads_goal_team_qualified_idx;

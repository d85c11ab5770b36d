-- Concept experiments (LeadExperiment): the experiment ("namespace/name") and arm a lead was assigned
-- to when the router first decided it under a running experiment, '' for none. Set once in the
-- routing decision's transaction and never changed afterwards (the write keeps a stored experiment),
-- so a lead keeps its arm across retries, requeues, restarts and the experiment's end. The partial
-- index holds only the leads of an experiment: ExperimentLeads reads an experiment's leads by it.
-- (Numbered 00010: 00009 is taken by the event feed on another branch.)

-- +goose Up
ALTER TABLE leads ADD COLUMN experiment text NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN arm text NOT NULL DEFAULT '';
CREATE INDEX leads_experiment_idx ON leads (experiment, arm, created_at, id) WHERE experiment <> '';

-- +goose Down
DROP INDEX leads_experiment_idx;
ALTER TABLE leads DROP COLUMN arm;
ALTER TABLE leads DROP COLUMN experiment;

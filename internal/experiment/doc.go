// Package experiment is the pure arithmetic behind LeadExperiment: which arm a lead belongs to (Split
// by a stable hash, Alternate by a local-time calendar), the per-arm figures of a metric, the
// significance tests against the control arm, and the verdict. It has no Kubernetes, SQL or wall-clock
// dependency: every instant, lead and location is passed in.
package experiment

// Package router is the routing pass of leadops as a package with no Kubernetes in it: given the
// compiled policies, a snapshot of the teams and the time (Input), it walks the lead store's pending
// queue, decides every lead (governing policy, qualification gate, rule, member), records every SLA
// breach that has come due and reassigns or escalates it, commits each page of decisions as one
// compare-and-swap transaction with its audit entries, and returns a typed Report. The controller
// (controllers/router_controller.go) translates the CRDs into the Input and the Report into metrics,
// Events, status refreshes and breach webhooks; `leadctl preview` and tests call Decide on a snapshot
// without committing anything.
//
// A pass first gathers what its decisions read (rule turns, the open load per member, the accounts of
// a page's domains) and then decides each lead as a pure function of the lead and that snapshot, which
// it keeps current as it assigns (load, turns). The lead's state changes go through internal/lead's
// transitions, so the lifecycle rules have one home; the router only chooses owners and deadlines.
package router

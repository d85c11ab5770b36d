package store

import (
	"context"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Backend is the lead store: every method the two backends (package sqlite and package postgres)
// implement, grouped by the data it reads or writes. Each backend asserts it at compile time,
// storeopen.Open returns one, and the conformance suite (package storetest) runs against it.
//
// Only the wiring (main.go, controllers.Setup, leadctl, the demo) holds a Backend. Each consumer
// declares the few methods it calls in a small interface next to its code (the LeadPolicy, Team and
// TeamGoal status reconcilers, the router, the HTTP API, leadctl), so what a component can do to
// the leads is read where it is used.
//
// Implementations must be safe for concurrent use by many goroutines and by several processes.
// Every read is an indexed query, never a scan of all leads.
type Backend interface {
	// Leads. Every change is one transaction that appends to the audit log too.

	// UpsertLead creates a lead, or updates the identity/marketing fields of the lead with the same
	// external id. Repeating the same input is idempotent: no new version, no new audit event.
	UpsertLead(ctx context.Context, in LeadInput, actor string) (l *lead.Lead, created bool, err error)
	// UpsertLeads is UpsertLead for a batch, in one transaction: all stored or none.
	UpsertLeads(ctx context.Context, in []LeadInput, actor string) ([]*lead.Lead, error)
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error)
	// ListLeads returns one page of leads matching the filter, ordered by (created_at, id).
	ListLeads(ctx context.Context, f ListFilter) (Page, error)
	// Apply records an activity (qualify, disqualify, touch, accept, reject, win, lose) after checking
	// the lifecycle rules (see package lead). An illegal transition returns a *TransitionError, bad
	// arguments a *FieldError (ErrInvalid); either way nothing changes. Routing carries an owner and
	// goes through Update or CommitDecisions.
	Apply(ctx context.Context, leadID string, a Activity) (*lead.Lead, error)
	// Update writes l if its stored version still equals l.Version (optimistic concurrency), bumps the
	// version, and appends events to the audit log in the same transaction. ErrConflict otherwise.
	// A stage change must follow the lifecycle (*TransitionError otherwise). ID, ExternalID and
	// CreatedAt are immutable and ignored. Without events it records one "updated" event by "system".
	Update(ctx context.Context, l *lead.Lead, events ...AuditEvent) (*lead.Lead, error)

	// Audit log: append-only, written only together with the lead change it records.

	// Audit returns every audit event of a lead, oldest first.
	Audit(ctx context.Context, leadID string) ([]AuditEvent, error)

	// AuditChain calls fn with the audit rows of leadID and their digests, oldest first; with leadID
	// "" every lead's, lead by lead, streaming. Leads without events are skipped. VerifyChain checks
	// them (leadctl audit verify).
	AuditChain(ctx context.Context, leadID string, fn func(leadID string, rows []ChainRow) error) error

	// Personal data (docs/privacy.md).

	// ErasePersonalData erases the personal data of a lead and of its duplicates (ErasedLead on each
	// lead, RedactedEvent on each of their audit events) and appends an erased event by actor to
	// each, in one transaction. ErrNotFound for an unknown lead. Erasing again redacts what came
	// since and records another erased event.
	ErasePersonalData(ctx context.Context, leadID, actor string) (Erasure, error)
	// ErasableLeads returns up to limit ids of leads in ErasableStages, closed (won, lost) or last
	// changed (disqualified) before t, whose personal data was never erased, oldest first (an index
	// on exactly those).
	ErasableLeads(ctx context.Context, closedBefore time.Time, limit int) ([]string, error)

	// The event feed: the whole audit log in one order for consumers outside (webhooks, CRM
	// write-back, GET /v1/events), each following it from a position it saves (feed.go).

	// EventsAfter returns the audit events committed after q.After. It never skips an event: on PostgreSQL
	// an event of a transaction still in flight when a later-id event is served is still delivered later
	// (positions follow commit-safe order, not raw ids).
	EventsAfter(ctx context.Context, q FeedQuery) (FeedPage, error)
	// LoadCursor returns the position a named consumer saved ("" when none); SaveCursor stores it.
	// Consumers: "subscription/<name>", "writeback/<crm>/<name>".
	LoadCursor(ctx context.Context, consumer string) (string, error)
	SaveCursor(ctx context.Context, consumer, position string) error

	// Accounts: which rep owns the company of a domain (AccountOwner routing).

	UpsertAccount(ctx context.Context, a Account) error
	// GetAccount returns the account one of whose domains is domain.
	GetAccount(ctx context.Context, domain string) (*Account, error)
	// FindAccounts returns the accounts owning any of domains or having any of companyKeys (an
	// indexed lookup of each), each once, ordered by domain; the candidates of internal/accountmatch.
	FindAccounts(ctx context.Context, domains, companyKeys []string) ([]Account, error)

	// DataQuality counts, per source, the leads q selects and how many miss each of
	// DataQualityFields; sources by volume, largest first (ties by name).
	DataQuality(ctx context.Context, q DataQualityQuery) ([]SourceQuality, error)

	// Routing queue: the leads awaiting a decision, the load on each rep, the history that round
	// robin and weighted shares resume from, and the decisions themselves.

	// PendingLeads returns up to limit leads awaiting a routing decision, oldest first, strictly after
	// the cursor (the zero cursor starts at the beginning): stage new, or qualified with no owner
	// (queued because every member was full or away). Paging lets a pass reach new leads behind a
	// long queue of waiting or unmatched ones.
	PendingLeads(ctx context.Context, after PendingCursor, limit int) ([]*lead.Lead, error)
	// OpenLoad counts, per owner, the leads in stages routed or touched: what capacity limits.
	OpenLoad(ctx context.Context) (map[string]int, error)
	// RuleHistory tells who received the latest lead routed by a policy's rule, and how many leads
	// each owner received from it: round robin and weighted shares resume from this after a restart.
	RuleHistory(ctx context.Context, policy, rule string) (last string, counts map[string]int64, err error)
	// LeadsOpenAt calls fn for every lead with an owner that was open (routed or touched) at t as the
	// leads record it: routed at or before t and not accepted by then (still routed or touched, or
	// accepted after t). A lead rejected since has no owner on record and is not among them; a lead
	// reassigned since counts under its current owner from its latest routing. Indexed: the open
	// leads and the leads accepted after t. leadctl preview replays open load from it.
	LeadsOpenAt(ctx context.Context, t time.Time, fn func(*lead.Lead) error) error
	// RuleHistoryAt is RuleHistory as it stood at t: only the leads the rule routed before t count.
	RuleHistoryAt(ctx context.Context, policy, rule string, t time.Time) (last string, counts map[string]int64, err error)
	// CommitDecisions writes many routing decisions in one transaction. Each is a compare-and-swap on
	// the lead's version: a lead changed since it was read is skipped and its id returned in
	// conflicts; the others commit together with their audit events, so a decision and its audit
	// entry are never apart and no lead is decided twice.
	CommitDecisions(ctx context.Context, ds []Decision) (applied []*lead.Lead, conflicts []string, err error)

	// SLA: the handoffs whose deadline has come (a range scan on the deadline indexes, never a scan
	// of open leads) and the figures behind a LeadPolicy's SLA conditions and status.
	//
	// A handoff is open for first touch while the lead is in stage routed, and open for acceptance
	// while it is in stage routed or touched. It is overdue once its deadline is at or before now,
	// and at risk once its warning time is, until the deadline.

	// DueHandoffs returns up to limit leads with an open handoff whose deadline is at or before t
	// and whose breach is not yet recorded (FirstTouchBreachedAt / AcceptanceBreachedAt nil), earliest
	// deadline first.
	DueHandoffs(ctx context.Context, t time.Time, limit int) ([]*lead.Lead, error)
	// SLAStats computes a policy's SLA figures as q asks.
	SLAStats(ctx context.Context, policy string, q SLAQuery) (SLAStats, error)

	// Stats: the counters behind LeadPolicy and Team status.

	// PolicyStats counts the leads a policy governs.
	PolicyStats(ctx context.Context, policy string) (PolicyStats, error)
	// TeamStats counts the leads a team holds.
	TeamStats(ctx context.Context, team string) (TeamStats, error)
	// TeamFlow counts, over [since, until), the leads routed or reassigned to team (in) and the leads
	// of the team first touched (out: every accept or reject follows a touch). An empty team counts
	// every lead.
	TeamFlow(ctx context.Context, team string, since, until time.Time) (in, out int64, err error)

	// Goals: a TeamGoal's metric as an indexed aggregate, and the leads behind it for CEL-filtered
	// goals. Metric definitions are those of internal/goals (goals.Compute is the reference the
	// backends are tested against).

	// GoalMetric computes metric (a goals.Metric name) over the leads of team ("namespace/name"; empty
	// means every lead, as a Marketing team's goals count) in [start, end), as of now. Known is false
	// for a rate or median with nothing to measure.
	GoalMetric(ctx context.Context, q GoalQuery) (value float64, known bool, err error)
	// GoalLeads calls fn for every lead of team whose metric timestamp (goals.TimeField, and closed_at
	// too for ConversionRate) lies in [start, end), streaming rather than loading them all.
	GoalLeads(ctx context.Context, q GoalQuery, fn func(*lead.Lead) error) error

	// Experiments: the leads behind a LeadExperiment's verdict (internal/experiment).

	// ExperimentLeads calls fn for every lead the router assigned to an arm of experiment
	// ("namespace/name"), by arm then creation, streaming (an index on experiment and arm).
	ExperimentLeads(ctx context.Context, experiment string, fn func(*lead.Lead) error) error
	// LeadsCreatedBetween calls fn for every lead created in [start, end), oldest first, streaming
	// (the creation index): the candidates of an observational experiment's arms, which select their
	// leads by a filter rather than by routing.
	LeadsCreatedBetween(ctx context.Context, start, end time.Time, fn func(*lead.Lead) error) error

	// Changes and health.

	// Subscribe delivers a Change for every lead created or changed after the call, until ctx ends.
	// Delivery is at-least-once and may coalesce; consumers re-read the store.
	Subscribe(ctx context.Context) (<-chan Change, error)
	// Ping reports whether the store is reachable and migrated.
	Ping(ctx context.Context) error
	Close() error
}

// Change tells a subscriber that a lead was created or changed.
type Change struct {
	LeadID string
}

// Store, Router, SLA and Goals are former names of Backend (once four interfaces that every real
// caller needed together). They remain only for the conformance suite, which spells them until its
// owner moves it to Backend; new code names Backend, or declares the methods it uses.
type (
	// Deprecated: use Backend.
	Store = Backend
	// Deprecated: use Backend.
	Router = Backend
	// Deprecated: use Backend.
	SLA = Backend
	// Deprecated: use Backend.
	Goals = Backend
)

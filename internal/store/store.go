// Package store is the lead store: leads, accounts and the append-only audit log, behind one narrow
// interface with two backends (PostgreSQL for production, embedded SQLite as the zero-setup default).
// Leads are data, not configuration: they never go into etcd.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Store is everything the controller, the HTTP API and leadctl need from the lead store.
// Implementations must be safe for concurrent use by many goroutines and by several processes.
type Store interface {
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
	// goes through Update.
	Apply(ctx context.Context, leadID string, a Activity) (*lead.Lead, error)
	// Update writes l if its stored version still equals l.Version (optimistic concurrency), bumps the
	// version, and appends events to the audit log in the same transaction. ErrConflict otherwise.
	// A stage change must follow the lifecycle (*TransitionError otherwise). ID, ExternalID and
	// CreatedAt are immutable and ignored. Without events it records one "updated" event by "system".
	Update(ctx context.Context, l *lead.Lead, events ...AuditEvent) (*lead.Lead, error)

	// Audit returns every audit event of a lead, oldest first.
	Audit(ctx context.Context, leadID string) ([]AuditEvent, error)

	UpsertAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, domain string) (*Account, error)

	// Subscribe delivers a Change for every lead created or changed after the call, until ctx ends.
	// Delivery is at-least-once and may coalesce; consumers re-read the store.
	Subscribe(ctx context.Context) (<-chan Change, error)

	// Ping reports whether the store is reachable and migrated.
	Ping(ctx context.Context) error
	Close() error
}

// LeadInput is what a marketing tool or an import sends.
type LeadInput struct {
	ExternalID string         `json:"externalId,omitempty"`
	Email      string         `json:"email,omitempty"`
	Name       string         `json:"name,omitempty"`
	Company    string         `json:"company,omitempty"`
	Domain     string         `json:"domain,omitempty"`
	Country    string         `json:"country,omitempty"`
	Industry   string         `json:"industry,omitempty"`
	Employees  int64          `json:"employees,omitempty"`
	Source     string         `json:"source,omitempty"`
	Campaign   string         `json:"campaign,omitempty"`
	Score      int64          `json:"score,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ActivityKind is something a rep (or the controller) does to a lead. The lifecycle rules live in
// package lead, so the kinds do too.
type ActivityKind = lead.ActivityKind

const (
	ActivityQualify    = lead.ActivityQualify
	ActivityDisqualify = lead.ActivityDisqualify
	ActivityTouch      = lead.ActivityTouch
	ActivityAccept     = lead.ActivityAccept
	ActivityReject     = lead.ActivityReject
	ActivityWin        = lead.ActivityWin
	ActivityLose       = lead.ActivityLose
)

// Activity is one recorded action on a lead.
type Activity struct {
	Kind   ActivityKind `json:"kind"`
	Actor  string       `json:"actor,omitempty"`
	Reason string       `json:"reason,omitempty"`
	Amount float64      `json:"amount,omitempty"`
	// At defaults to the store's clock when zero.
	At time.Time `json:"at,omitempty"`
}

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID     int64     `json:"id"`
	LeadID string    `json:"leadId"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	// Type is e.g. created, updated, stage_changed, routed, touched, breached, reassigned.
	Type   string         `json:"type"`
	Reason string         `json:"reason,omitempty"`
	Data   map[string]any `json:"data,omitempty"`
}

// Account maps a company domain to the rep who owns it, for account-owner routing.
type Account struct {
	Domain    string    `json:"domain"`
	Name      string    `json:"name,omitempty"`
	Owner     string    `json:"owner"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ListFilter selects leads; empty fields do not filter.
type ListFilter struct {
	Owner  string
	Team   string
	Policy string
	Stages []lead.Stage
	// Breached keeps only leads with at least one recorded SLA breach (breachCount > 0), open or not:
	// SLABreached events carry counts, and this is how an operator finds the leads behind them.
	Breached bool
	// Cursor is the opaque NextCursor of the previous page.
	Cursor string
	Limit  int
}

// Page is one page of ListLeads.
type Page struct {
	Leads      []*lead.Lead `json:"leads"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// Change tells a subscriber that a lead was created or changed.
type Change struct {
	LeadID string
}

var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("the lead was changed concurrently; re-read it and retry")
	ErrBadCursor = errors.New("invalid cursor")
	// ErrInvalid is wrapped by every validation error (*lead.FieldError): map it to a 4xx.
	ErrInvalid = lead.ErrInvalid
)

// TransitionError is what Apply and Update return for a move the lifecycle forbids.
type TransitionError = lead.TransitionError

// FieldError is a validation error on one input field.
type FieldError = lead.FieldError

// Package store is the lead store: leads, accounts, the append-only audit log, the routing queue,
// SLA deadlines and the figures behind status and goals, behind one interface (Backend) with two
// backends (PostgreSQL for production, embedded SQLite as the zero-setup default). Leads are data,
// not configuration: they never go into etcd.
package store

import (
	"errors"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

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
	// Phone is the lead's phone number; ingest (internal/validate.NormalizeLead) turns it into E.164.
	Phone string `json:"phone,omitempty"`
	// Original maps each field that ingest normalization changed to the value as the source sent
	// it; see lead.Lead.Original.
	Original map[string]string `json:"original,omitempty"`
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
	// Owner, when set, makes the activity conditional on the lead's owner being Owner when it is
	// applied (checked in the activity's own transaction, so a reassignment in between is seen):
	// ErrNotOwner otherwise, and nothing changes. A rep's token acts only on its member's leads so.
	Owner string `json:"-"`
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

// Account maps a company's domains (and optionally its normalized company name) to the rep who owns
// it, for account-owner routing. Domain is the account's key and primary domain; Domains lists every
// domain of the account, Domain first (an account written with Domain only has just that one).
type Account struct {
	Domain  string   `json:"domain"`
	Domains []string `json:"domains,omitempty"`
	// CompanyKey is the normalized company name leads are matched by when no domain matches
	// (internal/normalize.CompanyKey; "" matches nothing).
	CompanyKey string    `json:"companyKey,omitempty"`
	Name       string    `json:"name,omitempty"`
	Owner      string    `json:"owner"`
	UpdatedAt  time.Time `json:"updatedAt"`
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

var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("the lead was changed concurrently; re-read it and retry")
	ErrBadCursor = errors.New("invalid cursor")
	// ErrNotOwner: an activity conditional on the owner (Activity.Owner) met a lead someone else owns.
	ErrNotOwner = errors.New("the lead is not owned by the member the activity is conditional on")
	// ErrInvalid is wrapped by every validation error (*FieldError): map it to a 4xx.
	ErrInvalid = lead.ErrInvalid
)

// TransitionError is what Apply and Update return for a move the lifecycle forbids.
type TransitionError = lead.TransitionError

// FieldError is a validation error on one input field: package fielderr's one field error, with
// Path in the store's JSON names ("email", "attributes").
type FieldError = lead.FieldError

// Package lead holds the lead domain model shared by the store, routing, the SLA clock and the CEL
// environment: plain Go with no Kubernetes or SQL in it.
package lead

import (
	"encoding/json"
	"time"
)

// Stage is where a lead stands in the marketing-to-sales handoff.
type Stage string

const (
	StageNew          Stage = "new"
	StageQualified    Stage = "qualified"
	StageDisqualified Stage = "disqualified"
	StageRouted       Stage = "routed"
	StageTouched      Stage = "touched"
	StageAccepted     Stage = "accepted"
	StageRejected     Stage = "rejected"
	StageWon          Stage = "won"
	StageLost         Stage = "lost"
)

// Stages lists every stage in lifecycle order.
var Stages = []Stage{
	StageNew, StageQualified, StageDisqualified, StageRouted, StageTouched,
	StageAccepted, StageRejected, StageWon, StageLost,
}

// Lead is one lead as the store holds it. Email and Name are personal data: they never leave the store
// and the HTTP API, so they must not appear in logs, events, status or metric labels.
type Lead struct {
	ID         string `json:"id"`
	ExternalID string `json:"externalId,omitempty"`

	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`

	Company   string `json:"company,omitempty"`
	Domain    string `json:"domain,omitempty"`
	Country   string `json:"country,omitempty"`
	Industry  string `json:"industry,omitempty"`
	Employees int64  `json:"employees,omitempty"`

	// Phone is in E.164 form ("+4930123456"), normalized at ingest.
	Phone string `json:"phone,omitempty"`

	Source   string `json:"source,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Score    int64  `json:"score"`

	// Original holds, for every field that normalization at ingest changed (email, domain, country,
	// phone), the value as the source sent it ("" for a domain derived from the email), so nothing
	// the source sent is lost. It describes the latest upsert of the lead.
	Original map[string]string `json:"original,omitempty"`

	// Attributes are free-form fields a marketing tool sends along; routing rules read them as a map.
	Attributes map[string]any `json:"attributes,omitempty"`

	Stage  Stage  `json:"stage"`
	Owner  string `json:"owner,omitempty"`
	Team   string `json:"team,omitempty"`
	Policy string `json:"policy,omitempty"`
	// Rule is the routing rule of Policy that assigned the current owner.
	Rule string `json:"rule,omitempty"`

	// Reason carries the rejection or disqualification reason that goes back to marketing.
	Reason string `json:"reason,omitempty"`
	// Amount is the deal amount of a won lead, in the account's currency minor-free units.
	Amount float64 `json:"amount,omitempty"`

	ReassignmentCount int `json:"reassignmentCount"`

	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	QualifiedAt   *time.Time `json:"qualifiedAt,omitempty"`
	RoutedAt      *time.Time `json:"routedAt,omitempty"`
	TouchedAt     *time.Time `json:"touchedAt,omitempty"`
	AcceptedAt    *time.Time `json:"acceptedAt,omitempty"`
	RejectedAt    *time.Time `json:"rejectedAt,omitempty"`
	ClosedAt      *time.Time `json:"closedAt,omitempty"`
	FirstTouchDue *time.Time `json:"firstTouchDue,omitempty"`
	AcceptanceDue *time.Time `json:"acceptanceDue,omitempty"`
	// FirstTouchWarn and AcceptanceWarn are when the handoff becomes at risk (before its deadline).
	FirstTouchWarn *time.Time `json:"firstTouchWarn,omitempty"`
	AcceptanceWarn *time.Time `json:"acceptanceWarn,omitempty"`
	// FirstTouchBreachedAt and AcceptanceBreachedAt record the breach of the current handoff's
	// deadline, once: nil while the breach is not (yet) recorded.
	FirstTouchBreachedAt *time.Time `json:"firstTouchBreachedAt,omitempty"`
	AcceptanceBreachedAt *time.Time `json:"acceptanceBreachedAt,omitempty"`
	// BreachCount counts every SLA breach recorded on the lead. LastBreachAt is when the newest of
	// them was recorded (the controller's clock at recording, the same instant as the
	// FirstTouchBreachedAt / AcceptanceBreachedAt it set), not the deadline that was missed, which
	// the breach's audit entry keeps: it is at or after that deadline, later when the controller was
	// down as it passed. A policy's SLABreached window and status.lastBreachTime count from it.
	BreachCount  int        `json:"breachCount"`
	LastBreachAt *time.Time `json:"lastBreachAt,omitempty"`
	// PreviousOwners lists the owners the lead was taken from (reassignment excludes them).
	PreviousOwners []string `json:"previousOwners,omitempty"`

	// DuplicateOf is the id of the open lead this one duplicates (same email), set by the store when
	// it inserts the lead and never changed afterwards; empty for an original. See OpenForDuplicates.
	DuplicateOf string `json:"duplicateOf,omitempty"`
	// Duplicates counts the leads the store linked to this one as its duplicates (their DuplicateOf
	// is this lead's id), incremented in the transaction that links each; its owner's "activity
	// count" of the same person arriving again. It does not change Version.
	Duplicates int64 `json:"duplicates,omitempty"`

	// Experiment ("namespace/name" of a LeadExperiment) and Arm are the concept experiment and arm the
	// router assigned the lead to when it first decided it while the experiment ran; empty for none.
	// Set once, in that routing decision's transaction, and never changed afterwards: the lead keeps
	// its arm on a requeue, a restart and after the experiment ends.
	Experiment string `json:"experiment,omitempty"`
	Arm        string `json:"arm,omitempty"`

	// Version increases by one on every change; writers use it for optimistic concurrency.
	Version int64 `json:"version"`
}

// AttributesJSON renders Attributes for storage; nil becomes an empty object.
func (l *Lead) AttributesJSON() ([]byte, error) {
	if l.Attributes == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(l.Attributes)
}

// DuplicateStages are the stages in which a lead is open for duplicate detection: a new lead with the
// same email as a lead in one of them is stored as its duplicate. A won, lost, disqualified or
// rejected lead is closed for this purpose (a rejected lead went back to marketing: the person asking
// again is a new signal, routed afresh).
var DuplicateStages = []Stage{StageNew, StageQualified, StageRouted, StageTouched, StageAccepted}

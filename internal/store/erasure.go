package store

import (
	"slices"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

// Erasure of a lead's personal data (issue 16; docs/privacy.md): the store keeps what goals, SLA
// figures and routing history need and drops everything that describes the person.

// Erasure is what ErasePersonalData did.
type Erasure struct {
	// LeadIDs are the leads erased: the lead asked for first, then its duplicates (leads matched to it
	// on the same email or duplicate key, i.e. the same person), by id.
	LeadIDs []string `json:"leadIds"`
	// Events counts the audit events whose reason and data were redacted.
	Events int `json:"events"`
	// At is when the erasure was recorded.
	At time.Time `json:"at"`
}

// RetainedAuditData are the audit data keys an erasure keeps: stages, times, owners (team members,
// not the lead), amounts, policy and rule, source and campaign, experiment, duplicate links. Every
// other key is dropped (account match details carry the lead's domain; expression errors may quote
// field values).
var RetainedAuditData = []string{
	"amount", "arm", "basis", "candidates", "due", "duplicate", "duplicateOf", "events", "experiment",
	"from", "generation", "mode", "owner", "policy", "previousOwner", "previousTeam", "reassignment",
	"redacted", "rule", "skippedRules", "sla", "source", "strategy", "team", "to", "version", "campaign",
}

// ErasedLead returns l without its personal data: email, name, phone, company, domain, the
// free-form attributes, the original values as sent, the duplicate key and the free-text reason.
// Company and domain go too: for a sole trader they name the person, and no statistic reads them.
// Country, industry, employees, source, campaign, score, stage, owner, team, policy, rule, amount
// and every time stay, as do the ids (the external id is the source's key, not personal data: a
// source that uses an email as its external id must say so, docs/privacy.md).
func ErasedLead(l lead.Lead) lead.Lead {
	l.Email, l.Name, l.Phone, l.Company, l.Domain, l.Reason = "", "", "", "", "", ""
	l.Attributes, l.Original = nil, nil
	return l
}

// RedactedEvent returns ev's reason and data as an erasure leaves them, and whether that changes
// anything. The reason goes (rep-typed text, account matches naming the domain); the data keeps
// RetainedAuditData. Erased events themselves never change.
func RedactedEvent(ev AuditEvent) (AuditEvent, bool) {
	if ev.Type == EventErased {
		return ev, false
	}
	changed := ev.Reason != ""
	ev.Reason = ""
	var data map[string]any
	for k, v := range ev.Data {
		if !slices.Contains(RetainedAuditData, k) {
			changed = true
			continue
		}
		if data == nil {
			data = make(map[string]any, len(ev.Data))
		}
		data[k] = v
	}
	ev.Data = data
	return ev, changed
}

// ErasedEvent is the audit event recording an erasure of leadID by actor at at, chained like any
// other: the number of events redacted and the digest of their redacted content (ErasedDigest of
// redacted, which holds them as stored after the erasure, in id order). Never what was erased.
func ErasedEvent(leadID, actor string, at time.Time, redacted []ChainRow) (AuditEvent, error) {
	d, err := ErasedDigest(redacted)
	if err != nil {
		return AuditEvent{}, err
	}
	return AuditEvent{LeadID: leadID, At: at, Actor: actor, Type: EventErased,
		Data: map[string]any{"events": len(redacted), "redacted": d}}, nil
}

// ErasableStages are the closed stages whose leads retention erases: won and lost (by closing
// time) and disqualified (by its last change).
var ErasableStages = []lead.Stage{lead.StageWon, lead.StageLost, lead.StageDisqualified}

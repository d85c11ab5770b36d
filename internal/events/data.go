package events

import (
	"maps"

	"github.com/leadops/leadops/internal/lead"
)

// allowed lists, per audit event type, the keys of the audit entry's data that may leave the store in
// every subscription's events. It is an allowlist on purpose: a key a writer adds later stays inside
// until someone decides here that it carries no personal data. What the writers put there (the store in
// internal/store/internal/core, the router in internal/router/decide.go and breach.go) is:
//
//   - created: source, campaign (marketing channel names).
//   - rep activities (qualified, disqualified, touched, accepted, rejected, won, lost; core.ApplyActivity):
//     from, to (stages), amount (won), previousOwner, previousTeam (member and team names).
//   - the router's qualified/disqualified/routed: policy, generation, rule, strategy, team, owner, why,
//     candidates (member names with their load), skippedRules, expressionErrors, slaError.
//   - breached: sla (first_touch | acceptance), due, owner, policy.
//   - reassigned: policy, rule, from, to, strategy, why, candidates, reassignment, slaError.
//   - escalated: policy, from, to, team.
//
// Member and team names are the staff's handles in the Team resources, configuration rather than the
// lead's personal data. Left out everywhere: the routed event's "account" (the matched company's domain
// and name key, which identify a sole trader as well as a firm) and anything not listed.
var allowed = map[string][]string{
	lead.EventCreated:      {"source", "campaign"},
	lead.EventQualified:    {"from", "to", "policy", "generation"},
	lead.EventDisqualified: {"from", "to", "policy", "generation"},
	lead.EventRouted: {"policy", "generation", "rule", "strategy", "team", "owner", "why", "candidates",
		"skippedRules", "expressionErrors", "slaError"},
	lead.EventTouched:  {"from", "to", "previousOwner", "previousTeam"},
	lead.EventAccepted: {"from", "to", "previousOwner", "previousTeam"},
	lead.EventRejected: {"from", "to", "previousOwner", "previousTeam"},
	lead.EventWon:      {"from", "to", "amount", "previousOwner", "previousTeam"},
	lead.EventLost:     {"from", "to", "previousOwner", "previousTeam"},
	lead.EventErased:   {"events"},
	lead.EventBreached: {"sla", "due", "owner", "policy"},
	lead.EventReassigned: {"policy", "rule", "from", "to", "strategy", "why", "candidates", "reassignment",
		"slaError"},
	lead.EventEscalated: {"policy", "from", "to", "team"},
}

// AllowedData returns the part of an audit entry's data of type typ that every subscription may
// receive: the allowlisted keys present in data, nil when none is.
func AllowedData(typ string, data map[string]any) map[string]any {
	var out map[string]any
	for _, k := range allowed[typ] {
		v, ok := data[k]
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

// PersonalLead is the lead's personal data that subscriptions declaring personalData receive, as the
// store holds it when the event is delivered (not as it was when the event happened).
type PersonalLead struct {
	ExternalID string            `json:"externalId,omitempty"`
	Email      string            `json:"email,omitempty"`
	Name       string            `json:"name,omitempty"`
	Phone      string            `json:"phone,omitempty"`
	Company    string            `json:"company,omitempty"`
	Domain     string            `json:"domain,omitempty"`
	Country    string            `json:"country,omitempty"`
	Attributes map[string]any    `json:"attributes,omitempty"`
	Original   map[string]string `json:"original,omitempty"`
}

// Personal extracts the personal fields of l.
func Personal(l *lead.Lead) *PersonalLead {
	if l == nil {
		return nil
	}
	return &PersonalLead{
		ExternalID: l.ExternalID, Email: l.Email, Name: l.Name, Phone: l.Phone, Company: l.Company,
		Domain: l.Domain, Country: l.Country, Attributes: maps.Clone(l.Attributes), Original: maps.Clone(l.Original),
	}
}

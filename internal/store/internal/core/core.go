// Package core holds the backend-independent half of every write: what the new row and its audit
// events are. The backends only persist the result, so SQLite and PostgreSQL cannot drift apart.
package core

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/leadops/leadops/internal/canonjson"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// ActorSystem is recorded when a writer did not name itself (Update without events).
const ActorSystem = "system"

// CheckActor requires a named actor: the audit log must say who did what.
func CheckActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return &store.FieldError{Path: "actor", Message: "required: the audit log records who made each change"}
	}
	if len(actor) > store.MaxTextLength {
		return &store.FieldError{Path: "actor", Message: fmt.Sprintf("longer than %d bytes", store.MaxTextLength)}
	}
	return nil
}

// NewID returns a fresh lead id. Version 7 UUIDs are time-ordered, which keeps the primary-key index
// append-mostly.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// ValidID reports whether id can be a lead id; anything else cannot exist (ErrNotFound).
func ValidID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// UTC normalizes a stored time: UTC, microseconds (what both databases keep).
func UTC(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := UTC(*t)
	return &u
}

// CreatedEvent is the audit event of a lead created by an upsert.
func CreatedEvent(l *lead.Lead, actor string) store.AuditEvent {
	data := map[string]any{}
	if l.Source != "" {
		data["source"] = l.Source
	}
	if l.Campaign != "" {
		data["campaign"] = l.Campaign
	}
	return store.AuditEvent{LeadID: l.ID, At: l.CreatedAt, Actor: actor, Type: store.EventCreated, Data: data}
}

// UpdatedEvent is the audit event of a lead whose marketing fields an upsert changed.
func UpdatedEvent(l *lead.Lead, actor string) store.AuditEvent {
	return store.AuditEvent{LeadID: l.ID, At: l.UpdatedAt, Actor: actor, Type: store.EventUpdated, Reason: "upsert",
		Data: map[string]any{"version": l.Version}}
}

// ApplyActivity computes the lead after activity a and the audit event that records it. A route is
// refused by lead.Apply (a *FieldError on kind): it is no rep activity; the controller routes with
// lead.Route or lead.Reassign and writes the result with Update.
func ApplyActivity(cur *lead.Lead, a store.Activity, now time.Time) (*lead.Lead, store.AuditEvent, error) {
	if err := CheckActor(a.Actor); err != nil {
		return nil, store.AuditEvent{}, err
	}
	if a.Owner != "" && cur.Owner != a.Owner {
		return nil, store.AuditEvent{}, fmt.Errorf("%s on lead %s: %w", a.Kind, cur.ID, store.ErrNotOwner)
	}
	at := now
	if !a.At.IsZero() {
		at = UTC(a.At)
	}
	next, err := lead.Apply(*cur, lead.Action{Kind: a.Kind, Reason: a.Reason, Amount: a.Amount, At: at})
	if err != nil {
		return nil, store.AuditEvent{}, err
	}
	next.Version = cur.Version + 1
	next.UpdatedAt = now
	data := map[string]any{"from": string(cur.Stage), "to": string(next.Stage)}
	if a.Kind == lead.ActivityWin {
		data["amount"] = a.Amount
	}
	if cur.Owner != next.Owner {
		data["previousOwner"] = cur.Owner
	}
	if cur.Team != next.Team {
		data["previousTeam"] = cur.Team
	}
	ev := store.AuditEvent{LeadID: cur.ID, At: at, Actor: a.Actor, Type: store.EventType(a.Kind), Reason: a.Reason, Data: data}
	return &next, ev, nil
}

// PrepareUpdate checks a compare-and-swap write of want over cur and returns the row to store and the
// events to append.
func PrepareUpdate(cur, want *lead.Lead, events []store.AuditEvent, now time.Time) (*lead.Lead, []store.AuditEvent, error) {
	return PrepareDecision(cur, want, nil, events, now)
}

// MaxPreviousOwners bounds Lead.PreviousOwners (reassignments are bounded far lower by policy).
const MaxPreviousOwners = 100

// CheckVia checks the part of a decision's stage path that does not depend on the stored lead:
// via[0] → via[1] → … → to, each step a lifecycle edge.
func CheckVia(via []lead.Stage, to lead.Stage) error {
	for i, st := range via {
		next := to
		if i+1 < len(via) {
			next = via[i+1]
		}
		if err := lead.CheckStageChange(st, next); err != nil {
			return err
		}
	}
	return nil
}

// PrepareDecision is PrepareUpdate for a write that passes through the stages via on its way from
// cur.Stage to want.Stage (store.Decision): every step of cur → via… → want must be a lifecycle
// edge. A version mismatch is store.ErrConflict; checks run version first, so a lead that moved on
// is a conflict, not a bad path.
func PrepareDecision(cur, want *lead.Lead, via []lead.Stage, events []store.AuditEvent, now time.Time) (*lead.Lead, []store.AuditEvent, error) {
	if cur.Version != want.Version {
		return nil, nil, fmt.Errorf("update lead %s at version %d (stored %d): %w", cur.ID, want.Version, cur.Version, store.ErrConflict)
	}
	first := want.Stage
	if len(via) > 0 {
		first = via[0]
	}
	if err := lead.CheckStageChange(cur.Stage, first); err != nil {
		return nil, nil, err
	}
	if err := CheckVia(via, want.Stage); err != nil {
		return nil, nil, err
	}
	in := store.LeadInput{Email: want.Email, Name: want.Name, Company: want.Company, Domain: want.Domain,
		Country: want.Country, Industry: want.Industry, Employees: want.Employees, Source: want.Source,
		Campaign: want.Campaign, Score: want.Score, Attributes: want.Attributes}
	if err := in.Validate(); err != nil {
		return nil, nil, err
	}
	for _, f := range []struct{ name, v string }{{"owner", want.Owner}, {"team", want.Team}, {"policy", want.Policy}, {"rule", want.Rule}} {
		if len(f.v) > store.MaxTextLength {
			return nil, nil, &store.FieldError{Path: f.name, Message: fmt.Sprintf("longer than %d bytes", store.MaxTextLength)}
		}
	}
	if err := checkExperiment(want); err != nil {
		return nil, nil, err
	}
	if len(want.PreviousOwners) > MaxPreviousOwners {
		return nil, nil, &store.FieldError{Path: "previousOwners", Message: fmt.Sprintf("more than %d entries", MaxPreviousOwners)}
	}
	for _, o := range want.PreviousOwners {
		if len(o) > store.MaxTextLength {
			return nil, nil, &store.FieldError{Path: "previousOwners", Message: fmt.Sprintf("an entry is longer than %d bytes", store.MaxTextLength)}
		}
	}
	if want.BreachCount < 0 || want.ReassignmentCount < 0 {
		return nil, nil, &store.FieldError{Path: "breachCount", Message: "counters must not be negative"}
	}
	if len(want.Reason) > lead.MaxReasonLength {
		return nil, nil, &store.FieldError{Path: "reason", Message: fmt.Sprintf("longer than %d bytes", lead.MaxReasonLength)}
	}
	next := *want
	next.ID, next.ExternalID, next.CreatedAt = cur.ID, cur.ExternalID, cur.CreatedAt
	next.Version = cur.Version + 1
	next.UpdatedAt = now
	if cur.Experiment != "" {
		// Set once: a lead keeps the experiment and arm it was first routed under (the write SQL
		// keeps them too).
		next.Experiment, next.Arm = cur.Experiment, cur.Arm
	}
	for _, p := range TimeFields(&next) {
		*p = utcPtr(*p)
	}
	// What a read returns: empty collections come back as nil.
	if len(next.Attributes) == 0 {
		next.Attributes = nil
	}
	if len(next.PreviousOwners) == 0 {
		next.PreviousOwners = nil
	} else {
		next.PreviousOwners = append([]string(nil), next.PreviousOwners...)
	}
	if len(events) == 0 {
		events = []store.AuditEvent{{Type: store.EventUpdated}}
	}
	out := make([]store.AuditEvent, len(events))
	for i, ev := range events {
		ev.ID = 0
		ev.LeadID = cur.ID
		if ev.At.IsZero() {
			ev.At = now
		}
		ev.At = UTC(ev.At)
		if strings.TrimSpace(ev.Actor) == "" {
			ev.Actor = ActorSystem
		}
		if ev.Type == "" {
			ev.Type = store.EventUpdated
		}
		out[i] = ev
	}
	return &next, out, nil
}

// TimeFields returns pointers to every nullable time of l, for normalization after a read or
// before a write.
func TimeFields(l *lead.Lead) []**time.Time {
	return []**time.Time{&l.QualifiedAt, &l.RoutedAt, &l.TouchedAt, &l.AcceptedAt, &l.RejectedAt,
		&l.ClosedAt, &l.FirstTouchDue, &l.AcceptanceDue, &l.FirstTouchWarn, &l.AcceptanceWarn,
		&l.FirstTouchBreachedAt, &l.AcceptanceBreachedAt, &l.LastBreachAt}
}

// PreviousOwnersJSON renders Lead.PreviousOwners for storage ("[]" when empty).
func PreviousOwnersJSON(owners []string) string {
	if len(owners) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(owners) // []string always marshals
	return string(b)
}

// ParsePreviousOwners reads what PreviousOwnersJSON wrote.
func ParsePreviousOwners(s string) ([]string, error) {
	if s == "" || s == "[]" || s == "null" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("previous owners: %w", err)
	}
	return out, nil
}

// DecisionsInput checks what CommitDecisions can check without the database: a bounded batch, a
// lead in every decision, no lead twice, and the stage path after its first step.
func DecisionsInput(ds []store.Decision) ([]string, error) {
	if len(ds) > store.MaxBatchSize {
		return nil, &store.FieldError{Path: "decisions", Message: fmt.Sprintf("more than %d in one call", store.MaxBatchSize)}
	}
	ids := make([]string, len(ds))
	seen := make(map[string]int, len(ds))
	for i, d := range ds {
		if d.Lead == nil {
			return nil, &store.ItemError{Index: i, Err: &store.FieldError{Path: "lead", Message: "required"}}
		}
		if !ValidID(d.Lead.ID) {
			return nil, &store.ItemError{Index: i, Err: fmt.Errorf("lead %q: %w", d.Lead.ID, store.ErrNotFound)}
		}
		if j, dup := seen[d.Lead.ID]; dup {
			return nil, &store.ItemError{Index: i, Err: &store.FieldError{Path: "lead", Message: fmt.Sprintf("same lead as decision %d", j)}}
		}
		seen[d.Lead.ID] = i
		if err := CheckVia(d.Via, d.Lead.Stage); err != nil {
			return nil, &store.ItemError{Index: i, Err: err}
		}
		ids[i] = d.Lead.ID
	}
	return ids, nil
}

// OriginalJSON renders a lead's original record for storage: canonical (sorted keys), "{}" when
// empty, so equal inputs give equal bytes and a repeated upsert changes nothing.
func OriginalJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	if s, ok := canonjson.StringMap(m); ok { // the common case, without reflection
		return s
	}
	b, _ := json.Marshal(m) // a map of strings always marshals
	return string(b)
}

// ParseOriginal reads what OriginalJSON wrote.
func ParseOriginal(s string) (map[string]string, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("original: %w", err)
	}
	return m, nil
}

// NewLead builds the row for an input that creates a lead.
func NewLead(in store.LeadInput, now time.Time) *lead.Lead {
	return NewLeadWithID(in, NewID(), now)
}

// NewLeadWithID is NewLead with a given id (one a statement already inserted).
func NewLeadWithID(in store.LeadInput, id string, now time.Time) *lead.Lead {
	return &lead.Lead{
		ID: id, ExternalID: in.ExternalID, Email: in.Email, Name: in.Name, Company: in.Company,
		Domain: in.Domain, Country: in.Country, Industry: in.Industry, Employees: in.Employees,
		Source: in.Source, Campaign: in.Campaign, Score: in.Score, Attributes: in.Attributes,
		Phone: in.Phone, Original: in.Original, Stage: lead.StageNew, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

// DuplicateOpenWhere is the predicate of the open-originals index (leads_open_email_idx) on both
// backends, repeated verbatim by the lookups (SQLite matches a partial index by its terms): leads in
// lead.DuplicateStages that are no duplicate themselves, so a duplicate always links to an original.
const DuplicateOpenWhere = `email <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted')`

// DuplicateKeyOpenWhere is DuplicateOpenWhere for the duplicate attribute (leads_open_key_idx).
const DuplicateKeyOpenWhere = `duplicate_key <> '' AND duplicate_of = '' AND stage IN ('new', 'qualified', 'routed', 'touched', 'accepted')`

// DuplicateKey is the stored duplicate key of a lead with these attributes under
// store.Options.DuplicateAttribute name: "name=value" for a non-empty string (trimmed) or integral
// number value, else "" (no key). The name is part of the key, so renaming the option never
// matches values of the old attribute.
func DuplicateKey(attrs map[string]any, name string) string {
	if name == "" {
		return ""
	}
	var v string
	switch x := attrs[name].(type) {
	case string:
		v = strings.TrimSpace(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			v = strconv.FormatInt(int64(x), 10)
		}
	case int64:
		v = strconv.FormatInt(x, 10)
	case int:
		v = strconv.Itoa(x)
	}
	if v == "" {
		return ""
	}
	return name + "=" + v
}

// DuplicateBasis names what a duplicate matched in its audit entries: "email", or the attribute of
// key (DuplicateKey) when only the key matched.
func DuplicateBasis(key string, byKey bool) string {
	if !byKey {
		return "email"
	}
	name, _, _ := strings.Cut(key, "=")
	return name
}

// DuplicateEvents are the audit entries of a created lead l that duplicates l.DuplicateOf on the
// same email: one on the duplicate, one on the original (whose owner reads it in the original's log).
func DuplicateEvents(l *lead.Lead, actor string) []store.AuditEvent {
	return DuplicateEventsBy(l, actor, "email")
}

// DuplicateEventsBy is DuplicateEvents for a duplicate that matched on basis (DuplicateBasis).
func DuplicateEventsBy(l *lead.Lead, actor, basis string) []store.AuditEvent {
	if l.DuplicateOf == "" {
		return nil
	}
	data := map[string]any{}
	if l.Source != "" {
		data["source"] = l.Source
	}
	if basis != "email" {
		data["basis"] = basis
	}
	dup := map[string]any{"duplicateOf": l.DuplicateOf}
	att := map[string]any{"duplicate": l.ID}
	for k, v := range data {
		dup[k], att[k] = v, v
	}
	return []store.AuditEvent{
		{LeadID: l.ID, At: l.CreatedAt, Actor: actor, Type: lead.EventDuplicate, Reason: "same " + basis + " as open lead " + l.DuplicateOf, Data: dup},
		{LeadID: l.DuplicateOf, At: l.CreatedAt, Actor: actor, Type: lead.EventDuplicateAttached, Reason: "duplicate lead " + l.ID + " arrived", Data: att},
	}
}

// checkExperiment checks a lead's experiment and arm: both set or both empty, each of bounded length.
func checkExperiment(l *lead.Lead) error {
	if (l.Experiment == "") != (l.Arm == "") {
		return &store.FieldError{Path: "arm", Message: "experiment and arm are set together or not at all"}
	}
	for _, f := range []struct{ name, v string }{{"experiment", l.Experiment}, {"arm", l.Arm}} {
		if len(f.v) > store.MaxTextLength {
			return &store.FieldError{Path: f.name, Message: fmt.Sprintf("longer than %d bytes", store.MaxTextLength)}
		}
	}
	return nil
}

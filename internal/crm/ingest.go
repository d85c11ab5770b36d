package crm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// Store is what inbound needs from the lead store (a store.Backend is one).
type Store interface {
	UpsertLeads(ctx context.Context, in []store.LeadInput, actor string) ([]*lead.Lead, error)
	GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error)
	Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error)
	Audit(ctx context.Context, leadID string) ([]store.AuditEvent, error)
}

// Result counts what one delivery did. It holds no personal data, so it may be logged whole.
type Result struct {
	Records   int `json:"records"`   // records (and calls) in the delivery, after de-duplication
	Stored    int `json:"stored"`    // leads created or changed
	Unchanged int `json:"unchanged"` // the lead already held these values
	Stale     int `json:"stale"`     // older than what the lead holds: skipped
	Echoes    int `json:"echoes"`    // leadops' own write-back coming back: skipped
	Invalid   int `json:"invalid"`   // refused by the ingest rules: skipped (paths in InvalidPaths)
	// InvalidPaths are the field paths of refused records, e.g. "records[3].email": no values.
	InvalidPaths []string `json:"invalidPaths,omitempty"`
	Activities   int      `json:"activities"`         // activities recorded
	Repeated     int      `json:"repeatedActivities"` // already recorded by an earlier delivery
	Refused      int      `json:"refusedActivities"`  // the lifecycle forbids them now (e.g. accept before routing)
	UnknownLeads int      `json:"unknownLeads"`       // calls on records leadops holds no lead for
}

// Actor is the audit actor of lead writes coming from a connection.
func Actor(conn Connection) string { return "crm:" + conn.Name }

// Ingest applies verified records: leads through the one ingest step (validate.NormalizeLead) and a
// single batch upsert (one transaction), then the mapped activities. It returns an error only when
// the store failed, so the CRM retries; records the rules refuse, stale or echoed records and
// activities the lifecycle forbids are counted and acknowledged, because a retry would never succeed.
//
// Idempotent: the externalId is the CRM record's, the store's upsert by externalId makes no new
// version for the same input, a record already held is not written again, and an activity whose
// reason the lead's audit already shows is not recorded again.
func Ingest(ctx context.Context, st Store, conn Connection, recs []Record, now time.Time) (Result, error) {
	recs = latestPerRecord(recs)
	res := Result{Records: len(recs)}
	type pending struct {
		rec  Record
		lead *lead.Lead // stored lead, once known
	}
	var (
		inputs  []store.LeadInput
		owners  []int // index in work of each input
		work    []pending
		current = map[string]*lead.Lead{}
	)
	for i, r := range recs {
		if r.CallID != "" {
			work = append(work, pending{rec: r})
			continue
		}
		if r.Echo {
			res.Echoes++
			continue
		}
		in, errs := validate.NormalizeLead(fmt.Sprintf("records[%d]", i), MapRecord(conn, r))
		if len(errs) > 0 {
			res.Invalid++
			for _, e := range errs {
				res.InvalidPaths = append(res.InvalidPaths, e.Path)
			}
			continue
		}
		l, err := st.GetLeadByExternalID(ctx, in.ExternalID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			l = nil
		case err != nil:
			return res, fmt.Errorf("crm %s: reading the lead of a record: %w", conn.Name, err)
		}
		if l != nil {
			current[in.ExternalID] = l
			if olderThanStored(r, l) {
				res.Stale++
				continue
			}
			if sameData(in, l) {
				if r.OwnerEcho {
					res.Echoes++
				} else {
					res.Unchanged++
				}
				work = append(work, pending{rec: r, lead: l})
				continue
			}
		}
		inputs = append(inputs, in)
		owners = append(owners, len(work))
		work = append(work, pending{rec: r})
	}
	if len(inputs) > 0 {
		stored, err := st.UpsertLeads(ctx, inputs, Actor(conn))
		if err != nil {
			return res, fmt.Errorf("crm %s: storing %d leads: %w", conn.Name, len(inputs), err)
		}
		res.Stored += len(stored)
		for i, l := range stored {
			work[owners[i]].lead = l
		}
	}
	for _, p := range work {
		rules := MatchActivities(conn, p.rec)
		if len(rules) == 0 {
			continue
		}
		l := p.lead
		if l == nil { // a call: its lead is the record it was logged on
			var err error
			l, err = st.GetLeadByExternalID(ctx, conn.ExternalID(p.rec.ID))
			if errors.Is(err, store.ErrNotFound) {
				res.UnknownLeads++
				continue
			}
			if err != nil {
				return res, fmt.Errorf("crm %s: reading the lead of a call: %w", conn.Name, err)
			}
		}
		if err := applyRules(ctx, st, conn, l, p.rec, rules, now, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func applyRules(ctx context.Context, st Store, conn Connection, l *lead.Lead, r Record, rules []ActivityRule, now time.Time, res *Result) error {
	audit, err := st.Audit(ctx, l.ID)
	if err != nil {
		return fmt.Errorf("crm %s: reading lead %s's audit: %w", conn.Name, l.ID, err)
	}
	for _, rule := range rules {
		reason := ActivityReason(rule, r)
		if recorded(audit, store.EventType(rule.Activity), reason) {
			res.Repeated++
			continue
		}
		// The activity is the owner's: the rep works the lead in the CRM, and the SLA clock and the
		// team figures count it for them. An unowned lead gets the connection as actor.
		actor := l.Owner
		if actor == "" {
			actor = Actor(conn)
		}
		next, err := st.Apply(ctx, l.ID, store.Activity{Kind: rule.Activity, Actor: actor, Reason: reason, At: now})
		var te *store.TransitionError
		switch {
		case errors.As(err, &te):
			res.Refused++
			continue
		case err != nil:
			return fmt.Errorf("crm %s: recording %s on lead %s: %w", conn.Name, rule.Activity, l.ID, err)
		}
		res.Activities++
		l = next
	}
	return nil
}

func recorded(audit []store.AuditEvent, typ, reason string) bool {
	for _, e := range audit {
		if e.Type == typ && e.Reason == reason {
			return true
		}
	}
	return false
}

// latestPerRecord keeps one record per CRM id (the most recently modified; the last one on a tie) and
// every call once, in first-seen order: a HubSpot batch often carries several events for one contact.
func latestPerRecord(recs []Record) []Record {
	out := make([]Record, 0, len(recs))
	at := map[string]int{}
	for _, r := range recs {
		key := r.ID
		if r.CallID != "" {
			key = "call\x00" + r.CallID
		}
		i, seen := at[key]
		switch {
		case !seen:
			at[key] = len(out)
			out = append(out, r)
		case !r.ModifiedAt.Before(out[i].ModifiedAt):
			// An echo flag holds only if every delivery of the record is an echo.
			r.Echo = r.Echo && out[i].Echo
			out[i] = r
		default:
			out[i].Echo = out[i].Echo && r.Echo
		}
	}
	return out
}

// olderThanStored reports whether the record was modified before the version the lead mirrors.
func olderThanStored(r Record, l *lead.Lead) bool {
	if r.ModifiedAt.IsZero() {
		return false
	}
	s, _ := l.Attributes[ModifiedAttribute].(string)
	stored, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return false
	}
	return r.ModifiedAt.Before(stored)
}

// sameData reports whether writing in would change nothing the CRM controls, ignoring the
// modification time: a change the CRM made to properties leadops does not map (its own owner write
// included) then costs no new lead version.
func sameData(in store.LeadInput, l *lead.Lead) bool {
	if in.Email != l.Email || in.Name != l.Name || in.Company != l.Company || in.Domain != l.Domain ||
		in.Country != l.Country || in.Industry != l.Industry || in.Employees != l.Employees ||
		in.Source != l.Source || in.Campaign != l.Campaign || in.Score != l.Score || in.Phone != l.Phone {
		return false
	}
	if len(in.Original) != len(l.Original) || !maps.Equal(in.Original, l.Original) {
		return false
	}
	a, b := withoutModified(in.Attributes), withoutModified(l.Attributes)
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || fmt.Sprint(v) != fmt.Sprint(w) {
			return false
		}
	}
	return true
}

func withoutModified(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != ModifiedAttribute {
			out[k] = v
		}
	}
	return out
}

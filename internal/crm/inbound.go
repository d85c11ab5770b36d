package crm

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/store"
)

// Delivery is one request a CRM made to leadops, as received: the adapters verify it themselves
// (signature, organization), since these endpoints carry no bearer token.
type Delivery struct {
	Method string
	// URL is the request URL as the server saw it; HubSpot's signature covers the public URL from
	// the configuration instead, since a proxy may rewrite host and scheme.
	URL    string
	Header http.Header
	Body   []byte
}

// Inbound is the inbound direction of one CRM: it verifies a delivery and returns the records it
// concerns. Ingest turns records into lead upserts and activities.
type Inbound interface {
	Records(ctx context.Context, conn Connection, d Delivery) ([]Record, error)
}

// Errors an Inbound wraps so the HTTP layer can answer without knowing the CRM.
var (
	// ErrUnauthenticated: bad, missing or stale signature, or another organization: 401, nothing stored.
	ErrUnauthenticated = errors.New("delivery not authenticated")
	// ErrMalformed: the body is not what the CRM sends: 400, nothing stored.
	ErrMalformed = errors.New("malformed delivery")
	// ErrUpstream: reading current values from the CRM failed; the CRM should retry: 503.
	ErrUpstream = errors.New("CRM API unavailable")
)

// Record is one CRM record (a HubSpot contact, a Salesforce lead) with its current property values,
// or one logged call on such a record.
type Record struct {
	// ID is the CRM's record id; the lead's externalId is Connection.ExternalID(ID).
	ID string
	// Properties are CRM property name → value as text, "" for a cleared value.
	Properties map[string]string
	// ModifiedAt is when the CRM last changed the record (HubSpot updatedAt, Salesforce
	// LastModifiedDate); zero when unknown. A record older than what was stored is skipped.
	ModifiedAt time.Time
	// Echo is set by the adapter when every change the delivery reports for this record is
	// leadops' own write-back (see WrittenOwners): the record is not applied.
	Echo bool
	// OwnerEcho is set when the record's owner field holds what leadops last wrote there, while the
	// delivery cannot say which fields changed (a Salesforce notification carries the whole record):
	// the record is applied, and counted as an echo when it changes nothing.
	OwnerEcho bool
	// CallID is set for a logged call: the record is the call (a Salesforce Task), ID is the lead's
	// record id, and only call activity rules apply.
	CallID string
}

// ModifiedAttribute is the lead attribute holding the CRM's last modification time of the record the
// lead mirrors (RFC 3339, UTC): the ordering guard against older deliveries arriving after newer ones.
const ModifiedAttribute = "crmModifiedAt"

// MapRecord turns a record into a lead input through the connection's fieldMapping. The result is not
// yet normalized: Ingest passes it through validate.NormalizeLead, the one ingest step every writer
// uses. Unmapped properties are ignored; a mapped property that is absent or empty leaves its field
// empty.
func MapRecord(conn Connection, r Record) store.LeadInput {
	in := store.LeadInput{ExternalID: conn.ExternalID(r.ID)}
	if conn.Inbound == nil {
		return in
	}
	var first, last string
	for prop, to := range conn.Inbound.FieldMapping {
		v := strings.TrimSpace(r.Properties[prop])
		switch to {
		case "email":
			in.Email = v
		case "name":
			in.Name = v
		case "firstName":
			first = v
		case "lastName":
			last = v
		case "company":
			in.Company = v
		case "domain":
			in.Domain = v
		case "country":
			in.Country = v
		case "industry":
			in.Industry = v
		case "employees":
			in.Employees = parseInt(v)
		case "source":
			in.Source = v
		case "campaign":
			in.Campaign = v
		case "score":
			in.Score = parseInt(v)
		case "phone":
			in.Phone = v
		default:
			if key, ok := strings.CutPrefix(to, "attributes."); ok && v != "" {
				if in.Attributes == nil {
					in.Attributes = map[string]any{}
				}
				in.Attributes[key] = v
			}
		}
	}
	if in.Name == "" {
		in.Name = strings.TrimSpace(first + " " + last)
	}
	if !r.ModifiedAt.IsZero() {
		if in.Attributes == nil {
			in.Attributes = map[string]any{}
		}
		in.Attributes[ModifiedAttribute] = r.ModifiedAt.UTC().Format(time.RFC3339Nano)
	}
	return in
}

// parseInt reads a CRM number ("250", "250.0"); anything else is 0 (unknown), not an error: a CRM
// number field with a stray value must not block the lead.
func parseInt(v string) int64 {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= -1e15 && f <= 1e15 {
		return int64(f)
	}
	return 0
}

// MatchActivities returns the activity rules a record fires: field rules whose property has the
// rule's value (compared without surrounding blanks, case-sensitively: CRM picklist values are
// codes), or call rules for a logged call.
func MatchActivities(conn Connection, r Record) []ActivityRule {
	if conn.Inbound == nil {
		return nil
	}
	var out []ActivityRule
	for _, rule := range conn.Inbound.ActivityMapping {
		switch {
		case r.CallID != "":
			if rule.Call {
				out = append(out, rule)
			}
		case !rule.Call:
			if v, ok := r.Properties[rule.Field]; ok && strings.TrimSpace(v) == rule.Value {
				out = append(out, rule)
			}
		}
	}
	return out
}

// ActivityReason is the reason stored with a mapped activity; Ingest also uses it to recognise an
// activity already recorded, so a redelivered status change records nothing new.
func ActivityReason(rule ActivityRule, r Record) string {
	reason := rule.Reason
	if reason == "" {
		if rule.Call {
			reason = "crm:call"
		} else {
			reason = "crm:" + rule.Field + "=" + rule.Value
		}
	}
	if r.CallID != "" {
		reason += " " + r.CallID
	}
	return reason
}

package validate

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// MaxScore bounds the lead score; scoring tools use 0–100 but some use 0–1000.
const MaxScore = 1000

// Lead checks one lead input. prefix is prepended to every path ("" for a single lead,
// "leads[3]" inside a batch).
//
// It checks the input as the store will hold it (after store.LeadInput.Normalize trims blanks and
// lower-cases the domain), so cosmetic differences are accepted rather than refused.
func Lead(prefix string, in store.LeadInput) fielderr.List {
	in = in.Normalize()
	c := &collector{prefix: prefix}
	c.text("externalId", in.ExternalID, MaxIDLength, true)
	c.email("email", in.Email)
	c.text("name", in.Name, MaxNameLength, false)
	c.text("company", in.Company, MaxShortText, false)
	c.domain("domain", in.Domain, false)
	c.text("country", in.Country, MaxShortText, false)
	c.text("industry", in.Industry, MaxShortText, false)
	if in.Employees < 0 {
		c.add("employees", "must not be negative")
	}
	c.text("source", in.Source, MaxShortText, false)
	c.text("campaign", in.Campaign, MaxShortText, false)
	if in.Score < 0 || in.Score > MaxScore {
		c.add("score", "must be between 0 and %d", MaxScore)
	}
	c.attributes("attributes", in.Attributes)
	return c.errs
}

// Leads checks a batch: every item, and that no external id appears twice (the store would upsert the
// same lead twice in one transaction, and the caller almost certainly made a mistake). Paths are
// "<prefix>[i].field"; callers that report by line number map the index back.
func Leads(prefix string, ins []store.LeadInput) fielderr.List {
	var errs fielderr.List
	first := make(map[string]int, len(ins))
	for i, in := range ins {
		p := fmt.Sprintf("%s[%d]", prefix, i)
		errs = append(errs, Lead(p, in)...)
		if in.ExternalID == "" {
			continue
		}
		if j, dup := first[in.ExternalID]; dup {
			errs = append(errs, fielderr.Error{Path: p + ".externalId", Message: fmt.Sprintf("repeats the external id of %s[%d]", prefix, j)})
			continue
		}
		first[in.ExternalID] = i
	}
	return errs
}

func (c *collector) attributes(field string, attrs map[string]any) {
	if attrs == nil {
		return
	}
	if len(attrs) > MaxAttributes {
		c.add(field, "has %d keys, at most %d allowed", len(attrs), MaxAttributes)
		return
	}
	for k := range attrs {
		if k == "" || len(k) > MaxAttributeKey {
			c.add(field, "keys must be 1 to %d bytes long", MaxAttributeKey)
			return
		}
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		c.add(field, "cannot be encoded as JSON")
		return
	}
	if len(b) > MaxAttributeJSON {
		c.add(field, "is too large (%d bytes as JSON, at most %d)", len(b), MaxAttributeJSON)
	}
}

// KindList names the activity kinds callers may record, for messages.
const KindList = "qualify, disqualify, touch, accept, reject, win, lose"

// Activity checks one activity. Actor and At are set by the server, not by the caller.
func Activity(prefix string, a store.Activity) fielderr.List {
	c := &collector{prefix: prefix}
	switch a.Kind {
	case store.ActivityQualify, store.ActivityTouch, store.ActivityAccept, store.ActivityLose:
		if a.Amount != 0 {
			c.add("amount", "is only allowed when winning a lead")
		}
		c.text("reason", a.Reason, lead.MaxReasonLength, false)
	case store.ActivityReject, store.ActivityDisqualify:
		if a.Amount != 0 {
			c.add("amount", "is only allowed when winning a lead")
		}
		// The reason goes back to marketing: a rejection without one closes no loop.
		c.text("reason", a.Reason, lead.MaxReasonLength, true)
	case store.ActivityWin:
		switch {
		case math.IsNaN(a.Amount) || math.IsInf(a.Amount, 0):
			c.add("amount", "must be a finite number")
		case a.Amount <= 0:
			c.add("amount", "must be greater than zero when winning a lead")
		}
		c.text("reason", a.Reason, lead.MaxReasonLength, false)
	case "":
		c.add("kind", "is required (one of %s)", KindList)
	default:
		// route is not here: routing sets an owner and is the controller's job (store.Update).
		c.add("kind", "must be one of %s", KindList)
	}
	return c.errs
}

// Account checks an account mapping.
func Account(prefix string, a store.Account) fielderr.List {
	c := &collector{prefix: prefix}
	c.domain("domain", a.Domain, true)
	c.text("name", a.Name, MaxShortText, false)
	c.text("owner", a.Owner, MaxShortText, true)
	return c.errs
}

package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/leadops/leadops/internal/canonjson"
	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/normalize"
	"github.com/leadops/leadops/internal/store"
)

// MaxScore bounds the lead score; scoring tools use 0–100 but some use 0–1000.
const MaxScore = 1000

// Lead checks one lead input as NormalizeLead does, for callers that only need the verdict.
func Lead(prefix string, in store.LeadInput) fielderr.List {
	_, errs := NormalizeLead(prefix, in)
	return errs
}

// Leads checks a batch as NormalizeLeads does, for callers that only need the verdict.
func Leads(prefix string, ins []store.LeadInput) fielderr.List {
	_, errs := NormalizeLeads(prefix, ins)
	return errs
}

// NormalizeLead is the one ingest step every writer of leads from outside goes through (the HTTP
// API, single and batch; the CSV import; leadctl import, which uses the CSV import): it brings one
// input to the form the store compares and checks it. prefix is prepended to every path ("" for a
// single lead, "leads[3]" inside a batch).
//
// Blanks are trimmed (store.LeadInput.Normalize); the email is lower-cased and checked
// (normalize.Email); the domain is reduced to its registrable domain (normalize.Domain), or derived
// from the email when absent unless the email is at a free-mail or disposable provider; the country
// becomes its ISO 3166-1 alpha-2 code; the phone becomes E.164, national numbers read in the lead's
// country. The company is kept as sent: matching compares normalize.CompanyKey, display shows the
// name. Whatever this step changed is recorded in Original, field → value as sent, so nothing the
// source sent is lost (a value the caller already put in Original, e.g. a CSV import sent on
// through the API, wins: it is the older one). A value that cannot be normalized is a problem with
// its path, never dropped: the caller stores nothing.
func NormalizeLead(prefix string, in store.LeadInput) (store.LeadInput, fielderr.List) {
	sent := in
	in = in.Normalize()
	c := &collector{prefix: prefix}
	original := map[string]string{}
	for k, v := range in.Original {
		original[k] = v
	}
	changed := func(field, was, now string) {
		if was != now {
			if _, kept := original[field]; !kept {
				original[field] = was
			}
		}
	}
	c.text("externalId", in.ExternalID, MaxIDLength, true)
	if in.Email != "" {
		if len(in.Email) > MaxEmailLength {
			c.add("email", "is too long (%d bytes, at most %d)", len(in.Email), MaxEmailLength)
		} else if e, err := normalize.Email(in.Email); err != nil {
			c.add("email", "is %v", err)
		} else {
			in.Email = e
			changed("email", sent.Email, e)
		}
	}
	c.text("name", in.Name, MaxNameLength, false)
	c.text("company", in.Company, MaxShortText, false)
	switch {
	case in.Domain != "":
		if len(in.Domain) > MaxDomainLength {
			c.add("domain", "is too long (%d bytes, at most %d)", len(in.Domain), MaxDomainLength)
		} else if d, err := normalize.Domain(in.Domain); err != nil {
			c.add("domain", "%s", domainProblem(err))
		} else {
			in.Domain = d
			changed("domain", sent.Domain, d)
		}
	case in.Email != "" && !c.has("email"):
		if d, ok := normalize.DomainFromEmail(in.Email); ok {
			in.Domain = d
			changed("domain", sent.Domain, d)
		}
	}
	region := ""
	if in.Country != "" {
		if !c.textOK("country", in.Country, MaxShortText) {
			// reported by textOK
		} else if cc, err := normalize.Country(in.Country); err != nil {
			c.add("country", "%v", err)
		} else {
			in.Country, region = cc, cc
			changed("country", sent.Country, cc)
		}
	}
	if in.Phone != "" {
		if !c.textOK("phone", in.Phone, MaxShortText) {
			// reported by textOK
		} else if p, err := normalize.Phone(in.Phone, region); err != nil {
			c.add("phone", "%v", err)
		} else {
			in.Phone = p
			changed("phone", sent.Phone, p)
		}
	}
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
	c.original("original", original)
	in.Original = nil
	if len(original) > 0 {
		in.Original = original
	}
	return in, c.errs
}

// NormalizeLeads normalizes and checks a batch: every item (NormalizeLead), and that no external id
// appears twice (the store would upsert the same lead twice in one transaction, and the caller almost
// certainly made a mistake). Paths are "<prefix>[i].field"; callers that report by line number map
// the index back. The items are independent and normalization is pure CPU work (phone numbers
// dominate), so large batches are spread over the available cores.
func NormalizeLeads(prefix string, ins []store.LeadInput) ([]store.LeadInput, fielderr.List) {
	out := make([]store.LeadInput, len(ins))
	itemErrs := make([]fielderr.List, len(ins))
	parallel(len(ins), func(i int) {
		out[i], itemErrs[i] = NormalizeLead(fmt.Sprintf("%s[%d]", prefix, i), ins[i])
	})
	var errs fielderr.List
	first := make(map[string]int, len(ins))
	for i, in := range out {
		errs = append(errs, itemErrs[i]...)
		if in.ExternalID == "" {
			continue
		}
		if j, dup := first[in.ExternalID]; dup {
			errs = append(errs, fielderr.Error{Path: fmt.Sprintf("%s[%d].externalId", prefix, i), Message: fmt.Sprintf("repeats the external id of %s[%d]", prefix, j)})
			continue
		}
		first[in.ExternalID] = i
	}
	return out, errs
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines; small batches run inline.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelChunk)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(parallelChunk)) - parallelChunk
				if start >= n {
					return
				}
				for i := start; i < min(start+parallelChunk, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}

// parallelChunk is how many items a worker takes at a time (and the smallest batch worth a second
// goroutine).
const parallelChunk = 64

// originalFields are the fields NormalizeLead may change, the keys an Original record may hold.
var originalFields = map[string]bool{"email": true, "domain": true, "country": true, "phone": true}

func (c *collector) original(field string, m map[string]string) {
	for k, v := range m {
		if !originalFields[k] {
			c.add(field, "keys must be one of email, domain, country, phone")
			return
		}
		if len(v) > MaxEmailLength || !utf8.ValidString(v) {
			c.add(field, "values must be valid UTF-8 of at most %d bytes", MaxEmailLength)
			return
		}
	}
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
	size, ok := 0, false
	if s, plain := canonjson.Map(attrs); plain { // the common case, without reflection
		size, ok = len(s), true
	} else if b, err := json.Marshal(attrs); err == nil {
		size, ok = len(b), true
	}
	if !ok {
		c.add(field, "cannot be encoded as JSON")
		return
	}
	if size > MaxAttributeJSON {
		c.add(field, "is too large (%d bytes as JSON, at most %d)", size, MaxAttributeJSON)
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

// domainProblem words a normalize.Domain error as a problem of the domain field.
func domainProblem(err error) string {
	const generic = "not a valid domain name"
	if msg := err.Error(); msg != generic {
		return "is " + generic + " (" + msg + ")"
	}
	return "is " + generic
}

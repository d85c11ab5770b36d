package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

// Inbound is the HubSpot crm.Inbound.
//
// Ordering: a delivery only says which contacts changed; their values are read afresh with a batch
// read, so an old or repeated delivery yields the contact as it is now, never older data. The read's
// updatedAt goes into the lead (crm.ModifiedAttribute), so of two overlapping deliveries the one
// that read later wins even when it is stored first.
type Inbound struct {
	// HTTP calls the HubSpot API; http.DefaultClient when nil. It should carry a timeout.
	HTTP *http.Client
	// Echoes tells leadops' own owner writes apart; nil: none are.
	Echoes crm.WrittenOwners
	// Now is the clock for the signature's age; time.Now when nil.
	Now func() time.Time
}

var _ crm.Inbound = (*Inbound)(nil)

// Records verifies the delivery's signature, parses it and reads the contacts it names.
func (h *Inbound) Records(ctx context.Context, conn crm.Connection, d crm.Delivery) ([]crm.Record, error) {
	if conn.Inbound == nil {
		return nil, fmt.Errorf("%w: connection %s has no inbound configuration", crm.ErrUnauthenticated, conn.Name)
	}
	secret, err := conn.Secret(crm.SecretClientSecret)
	if err != nil {
		return nil, err
	}
	if err := h.verify(conn, d, secret); err != nil {
		return nil, err
	}
	events, err := ParseDelivery(d.Body)
	if err != nil {
		return nil, err
	}
	ids, echoed := h.sortEvents(conn, events)
	var recs []crm.Record
	for _, id := range echoed {
		recs = append(recs, crm.Record{ID: id, Echo: true})
	}
	if len(ids) == 0 {
		return recs, nil
	}
	token, err := conn.Secret(crm.SecretToken)
	if err != nil {
		return nil, err
	}
	objs, err := BatchRead(ctx, h.HTTP, conn.APIBaseURL(), token, conn.ObjectName()+"s", ids, readProperties(conn))
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.Archived {
			continue
		}
		recs = append(recs, crm.Record{ID: o.ID, Properties: o.Properties, ModifiedAt: o.UpdatedAt})
	}
	return recs, nil
}

func (h *Inbound) verify(conn crm.Connection, d crm.Delivery, secret string) error {
	uri := conn.Inbound.PublicURL
	if u, err := url.Parse(d.URL); err == nil && u.RawQuery != "" && !strings.Contains(uri, "?") {
		uri += "?" + u.RawQuery
	}
	if sig := d.Header.Get(HeaderSignatureV3); sig != "" || !conn.Inbound.AllowSignatureV2 {
		now := time.Now
		if h.Now != nil {
			now = h.Now
		}
		return VerifyV3(secret, d.Method, uri, d.Body, d.Header.Get(HeaderRequestTimestamp), sig, now())
	}
	if v := d.Header.Get(HeaderSignatureVersion); v != "v2" {
		return fmt.Errorf("%w: no v3 signature, and the signature version is not v2", crm.ErrUnauthenticated)
	}
	return VerifyV2(secret, d.Method, uri, d.Body, d.Header.Get(HeaderSignature))
}

// sortEvents returns the ids to read and the ids whose every event is an echo of leadops' own owner
// write, each once, in first-seen order.
func (h *Inbound) sortEvents(conn crm.Connection, events []Event) (read, echoed []string) {
	object, owner := conn.ObjectName(), conn.OwnerField()
	echo := map[string]bool{}
	var order []string
	for _, e := range events {
		id := e.ObjectID.String()
		if id == "" || !concerns(e, object) {
			continue
		}
		isEcho := h.Echoes != nil && strings.HasSuffix(e.SubscriptionType, ".propertyChange") &&
			e.PropertyName == owner && h.Echoes.IsEcho(conn.ExternalID(id), owner, e.PropertyValue)
		prev, seen := echo[id]
		if !seen {
			order = append(order, id)
			echo[id] = isEcho
		} else {
			echo[id] = prev && isEcho
		}
	}
	for _, id := range order {
		if echo[id] {
			echoed = append(echoed, id)
		} else {
			read = append(read, id)
		}
	}
	return read, echoed
}

// readProperties are the properties the mapping and the activity rules need, sorted.
func readProperties(conn crm.Connection) []string {
	set := map[string]bool{}
	for p := range conn.Inbound.FieldMapping {
		set[p] = true
	}
	for _, r := range conn.Inbound.ActivityMapping {
		if r.Field != "" {
			set[r.Field] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

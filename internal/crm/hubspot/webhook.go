package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/leadops/leadops/internal/crm"
)

// Event is one app webhook event; a delivery is a JSON array of up to 100 of them.
type Event struct {
	EventID          json.Number `json:"eventId"`
	SubscriptionType string      `json:"subscriptionType"`
	ObjectID         json.Number `json:"objectId"`
	PropertyName     string      `json:"propertyName,omitempty"`
	PropertyValue    string      `json:"propertyValue,omitempty"`
	OccurredAt       int64       `json:"occurredAt"`
	ChangeSource     string      `json:"changeSource,omitempty"`
	ObjectTypeID     string      `json:"objectTypeId,omitempty"`
}

// objectTypeIDs are HubSpot's ids of the standard objects, used by the generic object.* events.
var objectTypeIDs = map[string]string{"contact": "0-1", "company": "0-2", "deal": "0-3", "ticket": "0-5"}

// ParseDelivery reads a webhook body: an app webhook batch (a JSON array of events) or a workflow
// "Send a webhook" body (one JSON object: the enrolled record, with its id as objectId, hs_object_id,
// vid or properties.hs_object_id). Workflow bodies become one synthetic creation event, so both kinds
// go through the same read of current values. Errors wrap crm.ErrMalformed.
func ParseDelivery(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, fmt.Errorf("%w: empty body", crm.ErrMalformed)
	case body[0] == '[':
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var evs []Event
		if err := dec.Decode(&evs); err != nil {
			return nil, fmt.Errorf("%w: not a HubSpot webhook batch: %v", crm.ErrMalformed, err)
		}
		return evs, nil
	case body[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("%w: not a HubSpot workflow webhook body: %v", crm.ErrMalformed, err)
		}
		id := workflowObjectID(obj)
		if id == "" {
			return nil, fmt.Errorf("%w: the workflow webhook body names no record id (objectId, hs_object_id or vid)", crm.ErrMalformed)
		}
		return []Event{{SubscriptionType: "workflow", ObjectID: json.Number(id)}}, nil
	default:
		return nil, fmt.Errorf("%w: the body is not JSON", crm.ErrMalformed)
	}
}

func workflowObjectID(obj map[string]any) string {
	for _, k := range []string{"objectId", "hs_object_id", "canonical-vid", "vid"} {
		if id := idText(obj[k]); id != "" {
			return id
		}
	}
	if props, ok := obj["properties"].(map[string]any); ok {
		switch v := props["hs_object_id"].(type) {
		case map[string]any: // the legacy contact format: {"value": "123", "versions": [...]}
			return idText(v["value"])
		default:
			return idText(v)
		}
	}
	return ""
}

func idText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		if _, err := strconv.ParseUint(x, 10, 64); err == nil {
			return x
		}
	}
	return ""
}

// concerns reports whether the event is about the connection's object and worth a read: creations,
// property changes, restores and workflow bodies. Deletions, merges and privacy deletions are not
// applied (leadops keeps the lead; see docs/crm.md).
func concerns(e Event, object string) bool {
	typ := e.SubscriptionType
	if typ == "workflow" {
		return true
	}
	kind, action, ok := strings.Cut(typ, ".")
	if !ok {
		return false
	}
	if kind == "object" {
		if e.ObjectTypeID != objectTypeIDs[object] {
			return false
		}
	} else if kind != object {
		return false
	}
	switch action {
	case "creation", "propertyChange", "restore":
		return true
	}
	return false
}

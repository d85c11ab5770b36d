package writeback

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leadops/leadops/internal/crm"
)

// hubspot writes hubspot_owner_id (or the configured owner field) through the CRM v3 batch update
// API and looks owners up through the owners API, with the connection's private-app token.
type hubspot struct {
	api  *api
	conn crm.Connection
}

// hubspotBatch is the most inputs HubSpot's batch update takes.
const hubspotBatch = 100

func (h *hubspot) MaxBatch() int { return hubspotBatch }

func (h *hubspot) request(method, path string, body []byte) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		token, err := h.conn.Secret(crm.SecretToken)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, h.conn.APIBaseURL()+path, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("connection %s: building the request: %w", h.conn.Name, err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	}
}

type hubspotInput struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// hubspotBatchAnswer is the body of a 200 or 207 answer: the records updated and, on 207, the
// errors with the ids they concern.
type hubspotBatchAnswer struct {
	Results []struct {
		ID string `json:"id"`
	} `json:"results"`
	Errors []struct {
		Category string              `json:"category"`
		Context  map[string][]string `json:"context"`
	} `json:"errors"`
	Category string `json:"category"`
}

func (h *hubspot) WriteOwners(ctx context.Context, us []Update) ([]Outcome, error) {
	if len(us) > hubspotBatch {
		return nil, fmt.Errorf("connection %s: %d updates in one batch, HubSpot takes at most %d", h.conn.Name, len(us), hubspotBatch)
	}
	in := make([]hubspotInput, len(us))
	for i, u := range us {
		in[i] = hubspotInput{ID: u.Record.ID, Properties: map[string]string{h.conn.OwnerField(): u.OwnerID}}
	}
	body, err := json.Marshal(map[string]any{"inputs": in})
	if err != nil {
		return nil, err
	}
	// contacts: the only HubSpot object ParseExternalID lets through.
	path := "/crm/v3/objects/contacts/batch/update"
	r, err := h.api.do(ctx, h.request(http.MethodPost, path, body), nil)
	if err != nil {
		return nil, err
	}
	var ans hubspotBatchAnswer
	_ = json.Unmarshal(r.Body, &ans)
	out := make([]Outcome, len(us))
	switch {
	case r.Status == http.StatusOK || r.Status == http.StatusMultiStatus:
		failed := map[string]string{}
		for _, e := range ans.Errors {
			for _, id := range e.Context["ids"] {
				failed[id] = orDefault(e.Category, "HTTP 207")
			}
		}
		done := map[string]bool{}
		for _, res := range ans.Results {
			done[res.ID] = true
		}
		for i, u := range us {
			switch {
			case failed[u.Record.ID] != "":
				out[i] = Outcome{Code: failed[u.Record.ID]}
			case done[u.Record.ID] || r.Status == http.StatusOK:
				out[i] = Outcome{OK: true}
			default:
				out[i] = Outcome{Code: "HTTP 207 without a result"}
			}
		}
		return out, nil
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return nil, fmt.Errorf("connection %s: HubSpot refused the private-app token (HTTP %d %s): check the token file and its crm.objects.contacts.write scope",
			h.conn.Name, r.Status, ans.Category)
	case r.Status >= 400 && r.Status < 500:
		// HubSpot refuses a whole batch for one bad input (an owner id that does not exist, a
		// deleted contact): every update carries the code, and the worker retries them one by one
		// to tell the bad ones from the rest.
		code := orDefault(ans.Category, "HTTP "+strconv.Itoa(r.Status))
		for i := range out {
			out[i] = Outcome{Code: code}
		}
		return out, errWholeBatch
	}
	return nil, fmt.Errorf("connection %s: unexpected HTTP %d from HubSpot's batch update", h.conn.Name, r.Status)
}

type hubspotOwners struct {
	Results []struct {
		ID     string `json:"id"`
		Email  string `json:"email"`
		UserID int64  `json:"userId"`
	} `json:"results"`
	Paging struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// LookupUser pages through GET /crm/v3/owners (active owners) for the email.
func (h *hubspot) LookupUser(ctx context.Context, email string) (string, bool, error) {
	after := ""
	for range 1000 {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		r, err := h.api.do(ctx, h.request(http.MethodGet, "/crm/v3/owners?"+q.Encode(), nil), nil)
		if err != nil {
			return "", false, err
		}
		if r.Status != http.StatusOK {
			return "", false, fmt.Errorf("connection %s: HubSpot's owners API answered HTTP %d: check the token's crm.objects.owners.read scope", h.conn.Name, r.Status)
		}
		var page hubspotOwners
		if err := json.Unmarshal(r.Body, &page); err != nil {
			return "", false, fmt.Errorf("connection %s: reading HubSpot's owners: %w", h.conn.Name, err)
		}
		for _, o := range page.Results {
			if strings.EqualFold(o.Email, email) {
				return o.ID, true, nil
			}
		}
		if after = page.Paging.Next.After; after == "" {
			return "", false, nil
		}
	}
	return "", false, fmt.Errorf("connection %s: HubSpot's owners API pages without end", h.conn.Name)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

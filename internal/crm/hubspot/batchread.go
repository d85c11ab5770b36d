package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

// MaxBatchRead is how many ids one batch read may ask for (HubSpot's limit).
const MaxBatchRead = 100

// maxResponseBytes bounds a batch read response: 100 records of a few dozen properties.
const maxResponseBytes = 8 << 20

// Object is one CRM object as the batch read returns it.
type Object struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	Archived   bool              `json:"archived"`
}

type batchReadRequest struct {
	Properties []string        `json:"properties"`
	Inputs     []batchReadItem `json:"inputs"`
}

type batchReadItem struct {
	ID string `json:"id"`
}

type batchReadResponse struct {
	Results []struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
		UpdatedAt  time.Time          `json:"updatedAt"`
		Archived   bool               `json:"archived"`
	} `json:"results"`
}

// BatchRead reads the current values of objects (plural API name, e.g. "contacts") by id through
// POST /crm/v3/objects/{objects}/batch/read, MaxBatchRead ids per call. Ids HubSpot no longer has
// (deleted, merged away) are simply absent from the result. Errors wrap crm.ErrUpstream.
func BatchRead(ctx context.Context, hc *http.Client, baseURL, token, objects string, ids, properties []string) ([]Object, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	var out []Object
	for start := 0; start < len(ids); start += MaxBatchRead {
		end := min(start+MaxBatchRead, len(ids))
		req := batchReadRequest{Properties: properties}
		for _, id := range ids[start:end] {
			req.Inputs = append(req.Inputs, batchReadItem{ID: id})
		}
		page, err := batchReadOnce(ctx, hc, baseURL+"/crm/v3/objects/"+objects+"/batch/read", token, req)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

func batchReadOnce(ctx context.Context, hc *http.Client, url, token string, body batchReadRequest) ([]Object, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", crm.ErrUpstream, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: HubSpot batch read: %v", crm.ErrUpstream, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: HubSpot batch read: %v", crm.ErrUpstream, err)
	}
	// 207 Multi-Status: some ids were not found; the found ones are in results.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusMultiStatus {
		// The body of an error names the problem (scopes, rate limit) without record data.
		msg := string(data)
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, fmt.Errorf("%w: HubSpot batch read answered %s: %s", crm.ErrUpstream, resp.Status, msg)
	}
	var parsed batchReadResponse
	if err := json.Unmarshal(data, &parsed); err != nil {
		return nil, fmt.Errorf("%w: HubSpot batch read: unreadable response: %v", crm.ErrUpstream, err)
	}
	out := make([]Object, 0, len(parsed.Results))
	for _, r := range parsed.Results {
		props := make(map[string]string, len(r.Properties))
		for k, v := range r.Properties {
			if v != nil {
				props[k] = *v
			} else {
				props[k] = ""
			}
		}
		out = append(out, Object{ID: r.ID, Properties: props, UpdatedAt: r.UpdatedAt, Archived: r.Archived})
	}
	return out, nil
}

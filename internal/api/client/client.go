// Package client is a Go client for the lead store's HTTP API (internal/api); leadctl and the API tests
// use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// Client calls one API server.
type Client struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:8082".
	BaseURL string
	// Token is sent as a bearer token.
	Token string
	// HTTP defaults to a client with a 60-second timeout.
	HTTP *http.Client
}

// Error is an error response from the API.
type Error struct {
	Status  int
	Message string
	Fields  []fielderr.Error
}

func (e *Error) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status) }

// Is lets callers test API errors with the store's sentinels, e.g. errors.Is(err, store.ErrNotFound).
func (e *Error) Is(target error) bool {
	switch target {
	case store.ErrNotFound:
		return e.Status == http.StatusNotFound
	case store.ErrBadCursor:
		return e.Status == http.StatusBadRequest && len(e.Fields) == 1 && e.Fields[0].Path == "cursor"
	}
	return false
}

// UpsertLead creates or updates one lead; created reports which.
func (c *Client) UpsertLead(ctx context.Context, in store.LeadInput) (l *lead.Lead, created bool, err error) {
	status, err := c.do(ctx, http.MethodPost, "/v1/leads", in, &l)
	return l, status == http.StatusCreated, err
}

// UpsertLeads stores a batch (at most api.MaxBatchSize) all or nothing.
func (c *Client) UpsertLeads(ctx context.Context, in []store.LeadInput) ([]*lead.Lead, error) {
	var resp api.BatchResponse
	_, err := c.do(ctx, http.MethodPost, "/v1/leads/batch", api.BatchRequest{Leads: in}, &resp)
	return resp.Leads, err
}

// GetLead returns a lead and its audit trail.
func (c *Client) GetLead(ctx context.Context, id string) (*api.LeadWithAudit, error) {
	var resp api.LeadWithAudit
	_, err := c.do(ctx, http.MethodGet, "/v1/leads/"+url.PathEscape(id), nil, &resp)
	return &resp, err
}

// GetLeadByExternalID returns the lead with that external id and its audit trail.
func (c *Client) GetLeadByExternalID(ctx context.Context, externalID string) (*api.LeadWithAudit, error) {
	var resp api.LeadWithAudit
	_, err := c.do(ctx, http.MethodGet, "/v1/leads/by-external-id/"+url.PathEscape(externalID), nil, &resp)
	return &resp, err
}

// Apply records an activity; the server sets the actor (from the token) and the time.
func (c *Client) Apply(ctx context.Context, id string, a api.ActivityRequest) (*lead.Lead, error) {
	var l *lead.Lead
	_, err := c.do(ctx, http.MethodPost, "/v1/leads/"+url.PathEscape(id)+"/activities", a, &l)
	return l, err
}

// ErasePersonalData erases the personal data of a lead and its duplicates; the server records the
// token's name as who asked.
func (c *Client) ErasePersonalData(ctx context.Context, id string) (store.Erasure, error) {
	var er store.Erasure
	_, err := c.do(ctx, http.MethodDelete, "/v1/leads/"+url.PathEscape(id)+"/personal-data", nil, &er)
	return er, err
}

// ListLeads returns one page of a queue.
func (c *Client) ListLeads(ctx context.Context, f store.ListFilter) (store.Page, error) {
	q := url.Values{}
	for k, v := range map[string]string{"owner": f.Owner, "team": f.Team, "policy": f.Policy, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for _, s := range f.Stages {
		q.Add("stage", string(s))
	}
	if f.Breached {
		q.Set("breached", "true")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var p store.Page
	path := "/v1/leads"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	_, err := c.do(ctx, http.MethodGet, path, nil, &p)
	return p, err
}

// UpsertAccount maps an account's domains (and optionally its company name, a.CompanyKey) to its owner.
func (c *Client) UpsertAccount(ctx context.Context, a store.Account) (*store.Account, error) {
	var out *store.Account
	req := api.AccountRequest{Name: a.Name, Owner: a.Owner, CompanyName: a.CompanyKey}
	for _, d := range a.Domains {
		if d != a.Domain {
			req.Domains = append(req.Domains, d)
		}
	}
	_, err := c.do(ctx, http.MethodPut, "/v1/accounts/"+url.PathEscape(a.Domain), req, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		var eb api.ErrorBody
		if json.Unmarshal(raw, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(raw))
			if eb.Error == "" {
				eb.Error = http.StatusText(resp.StatusCode)
			}
		}
		return resp.StatusCode, &Error{Status: resp.StatusCode, Message: eb.Error, Fields: eb.Fields}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s response: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

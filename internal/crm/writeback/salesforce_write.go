package writeback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/leadops/leadops/internal/crm"
)

// salesforceAPIVersion is the REST API version write-back speaks (sObject Collections exist since 42.0).
const salesforceAPIVersion = "v62.0"

// salesforceBatch is the most records one sObject Collections request takes.
const salesforceBatch = 200

// errWholeBatch is returned with per-update outcomes when the CRM refused the whole batch with a
// 4xx: the worker sends the updates one by one to find the bad ones.
var errWholeBatch = errors.New("the CRM refused the whole batch")

// salesforce writes OwnerId (or the configured owner field) through sObject Collections with
// Sforce-Auto-Assign: FALSE, so assignment rules do not override the owner leadops chose. It signs
// in with the OAuth 2.0 client credentials flow and refreshes the token once on a 401.
type salesforce struct {
	api  *api
	conn crm.Connection

	mu       sync.Mutex
	token    string
	instance string // the instance URL the token endpoint names; BaseURL when it names none
}

func (s *salesforce) MaxBatch() int { return salesforceBatch }

type salesforceToken struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
}

// signIn gets a new access token: POST {tokenURL or baseURL/services/oauth2/token}.
func (s *salesforce) signIn(ctx context.Context) error {
	id, err := s.conn.Secret(crm.SecretClientID)
	if err != nil {
		return err
	}
	secret, err := s.conn.Secret(crm.SecretClientSecret)
	if err != nil {
		return err
	}
	tokenURL, err := s.conn.Secret(crm.SecretTokenURL)
	if errors.Is(err, crm.ErrNoSecret) {
		tokenURL, err = s.conn.APIBaseURL()+"/services/oauth2/token", nil
	}
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
	r, err := s.api.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form))
		if err != nil {
			return nil, fmt.Errorf("connection %s: building the token request: %w", s.conn.Name, err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}, nil)
	if err != nil {
		return err
	}
	var tok salesforceToken
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil || tok.AccessToken == "" {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(r.Body, &e)
		return fmt.Errorf("connection %s: Salesforce refused the client credentials (HTTP %d %s): check clientId, clientSecret and that the connected app allows the client credentials flow with a run-as user",
			s.conn.Name, r.Status, e.Error)
	}
	s.mu.Lock()
	s.token, s.instance = tok.AccessToken, strings.TrimRight(tok.InstanceURL, "/")
	if s.instance == "" {
		s.instance = s.conn.APIBaseURL()
	}
	s.mu.Unlock()
	return nil
}

// call sends one data API request with the current token, signing in first when there is none and
// once more on a 401 (an expired or revoked session), then retrying once.
func (s *salesforce) call(ctx context.Context, method, path string, body []byte, header http.Header) (response, error) {
	s.mu.Lock()
	have := s.token != ""
	s.mu.Unlock()
	if !have {
		if err := s.signIn(ctx); err != nil {
			return response{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		token, base := s.token, s.instance
		s.mu.Unlock()
		r, err := s.api.do(ctx, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("connection %s: building the request: %w", s.conn.Name, err)
			}
			for k, v := range header {
				req.Header[k] = v
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Accept", "application/json")
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, nil
		}, salesforceRateLimited)
		if err != nil {
			return r, err
		}
		if r.Status != http.StatusUnauthorized {
			return r, nil
		}
		if attempt > 0 {
			return r, fmt.Errorf("connection %s: Salesforce refused a freshly issued access token (HTTP 401): check the connected app's OAuth scopes (api)", s.conn.Name)
		}
		if err := s.signIn(ctx); err != nil {
			return r, err
		}
	}
}

// salesforceError is one entry of Salesforce's error array.
type salesforceError struct {
	ErrorCode  string `json:"errorCode"`
	StatusCode string `json:"statusCode"`
}

// salesforceRateLimited recognises the API request limit, which Salesforce answers with 403
// REQUEST_LIMIT_EXCEEDED rather than 429: a wait, not a failure.
func salesforceRateLimited(r response) bool {
	if r.Status != http.StatusForbidden {
		return false
	}
	var errs []salesforceError
	_ = json.Unmarshal(r.Body, &errs)
	for _, e := range errs {
		if e.ErrorCode == "REQUEST_LIMIT_EXCEEDED" {
			return true
		}
	}
	return false
}

type salesforceRecord map[string]any

type salesforceResult struct {
	ID      string            `json:"id"`
	Success bool              `json:"success"`
	Errors  []salesforceError `json:"errors"`
}

// salesforceType is the sObject type of a record: Lead or Contact.
func salesforceType(object string) string {
	if object == "contact" {
		return "Contact"
	}
	return "Lead"
}

func (s *salesforce) WriteOwners(ctx context.Context, us []Update) ([]Outcome, error) {
	if len(us) > salesforceBatch {
		return nil, fmt.Errorf("connection %s: %d updates in one batch, sObject Collections take at most %d", s.conn.Name, len(us), salesforceBatch)
	}
	recs := make([]salesforceRecord, len(us))
	for i, u := range us {
		recs[i] = salesforceRecord{"attributes": map[string]string{"type": salesforceType(u.Record.Object)},
			"id": u.Record.ID, s.conn.OwnerField(): u.OwnerID}
	}
	body, err := json.Marshal(map[string]any{"allOrNone": false, "records": recs})
	if err != nil {
		return nil, err
	}
	r, err := s.call(ctx, http.MethodPatch, "/services/data/"+salesforceAPIVersion+"/composite/sobjects", body,
		http.Header{"Sforce-Auto-Assign": {"FALSE"}})
	if err != nil {
		return nil, err
	}
	if r.Status != http.StatusOK {
		var errs []salesforceError
		_ = json.Unmarshal(r.Body, &errs)
		code := fmt.Sprintf("HTTP %d", r.Status)
		if len(errs) > 0 && errs[0].ErrorCode != "" {
			code = errs[0].ErrorCode
		}
		return nil, fmt.Errorf("connection %s: Salesforce refused the batch: %s", s.conn.Name, code)
	}
	var res []salesforceResult
	if err := json.Unmarshal(r.Body, &res); err != nil || len(res) != len(us) {
		return nil, fmt.Errorf("connection %s: Salesforce answered %d results to %d records", s.conn.Name, len(res), len(us))
	}
	out := make([]Outcome, len(us))
	for i, rr := range res {
		if rr.Success {
			out[i] = Outcome{OK: true}
			continue
		}
		code := "FAILED"
		if len(rr.Errors) > 0 {
			code = orDefault(rr.Errors[0].StatusCode, rr.Errors[0].ErrorCode)
		}
		out[i] = Outcome{Code: code}
	}
	return out, nil
}

// LookupUser queries the active User with the email.
func (s *salesforce) LookupUser(ctx context.Context, email string) (string, bool, error) {
	soql := "SELECT Id FROM User WHERE IsActive = true AND Email = '" + soqlEscape(email) + "' LIMIT 1"
	r, err := s.call(ctx, http.MethodGet, "/services/data/"+salesforceAPIVersion+"/query?q="+url.QueryEscape(soql), nil, nil)
	if err != nil {
		return "", false, err
	}
	if r.Status != http.StatusOK {
		return "", false, fmt.Errorf("connection %s: Salesforce's User query answered HTTP %d", s.conn.Name, r.Status)
	}
	var ans struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}
	if err := json.Unmarshal(r.Body, &ans); err != nil {
		return "", false, fmt.Errorf("connection %s: reading Salesforce's User query: %w", s.conn.Name, err)
	}
	if len(ans.Records) == 0 {
		return "", false, nil
	}
	return ans.Records[0].ID, true, nil
}

// soqlEscape escapes a string literal for SOQL.
func soqlEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

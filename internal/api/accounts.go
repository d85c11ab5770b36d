package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// AccountRequest is the body of PUT /v1/accounts/{domain}; the domain comes from the path.
type AccountRequest struct {
	Name  string `json:"name,omitempty"`
	Owner string `json:"owner"`
	// Domains are the account's other domains (the path's domain is always one); a lead matches the
	// account by any of them or a subdomain.
	Domains []string `json:"domains,omitempty"`
	// CompanyName is the company name leads are matched by when no domain matches, stored as its
	// normalized key ("ACME, Inc." → "acme").
	CompanyName string `json:"companyName,omitempty"`
}

func (s *Server) upsertAccount(w http.ResponseWriter, r *http.Request) error {
	var req AccountRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	// Lower-cased like lead domains (store.LeadInput.Normalize), or account matching would miss.
	a := store.Account{Domain: strings.ToLower(r.PathValue("domain")), Name: strings.TrimSpace(req.Name),
		Owner: strings.TrimSpace(req.Owner), UpdatedAt: s.opts.Clock().UTC(), CompanyKey: strings.TrimSpace(req.CompanyName)}
	for _, d := range req.Domains {
		a.Domains = append(a.Domains, strings.ToLower(strings.TrimSpace(d)))
	}
	if errs := append(validate.Account("", a), validate.AccountMatching("", a)...); len(errs) > 0 {
		return invalid(errs)
	}
	if err := s.store.UpsertAccount(r.Context(), a); err != nil {
		return err
	}
	stored, err := s.store.GetAccount(r.Context(), a.Domain)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stored)
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	domain := strings.ToLower(r.PathValue("domain"))
	a, err := s.store.GetAccount(r.Context(), domain)
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no account for domain %q", domain)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// healthz is unauthenticated so kubelet probes need no token; it says only whether the store answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Error(err, "health check: the store does not answer")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

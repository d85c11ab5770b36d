package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// BatchRequest is the body of POST /v1/leads/batch.
type BatchRequest struct {
	Leads []store.LeadInput `json:"leads"`
}

// BatchResponse lists the stored leads in request order.
type BatchResponse struct {
	Leads []*lead.Lead `json:"leads"`
}

// LeadWithAudit is the body of GET /v1/leads/{id}.
type LeadWithAudit struct {
	Lead  *lead.Lead         `json:"lead"`
	Audit []store.AuditEvent `json:"audit"`
}

// upsertLead creates the lead with the body's externalId, or updates it: 201 when created, 200 otherwise.
func (s *Server) upsertLead(w http.ResponseWriter, r *http.Request) error {
	var in store.LeadInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	in, errs := validate.NormalizeLead("", in)
	if len(errs) > 0 {
		return invalid(errs)
	}
	l, created, err := s.store.UpsertLead(r.Context(), in, actorFrom(r.Context()))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/leads/"+l.ID)
	}
	writeJSON(w, status, l)
	return nil
}

// upsertLeads stores every lead of the batch or none: all items are validated before the single store
// call, and the store runs that call in one transaction.
func (s *Server) upsertLeads(w http.ResponseWriter, r *http.Request) error {
	var req BatchRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case len(req.Leads) == 0:
		return invalid(fielderr.List{{Path: "leads", Message: "must hold at least one lead"}})
	case len(req.Leads) > MaxBatchSize:
		return invalid(fielderr.List{{Path: "leads", Message: fmt.Sprintf("holds %d leads, at most %d per batch", len(req.Leads), MaxBatchSize)}})
	}
	ins, errs := validate.NormalizeLeads("leads", req.Leads)
	if len(errs) > 0 {
		return invalid(errs)
	}
	ls, err := s.store.UpsertLeads(r.Context(), ins, actorFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, BatchResponse{Leads: ls})
	return nil
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	l, err := s.store.GetLead(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no lead with id %q", id)}
	}
	if err != nil {
		return err
	}
	return s.writeLeadWithAudit(w, r, l)
}

func (s *Server) getLeadByExternalID(w http.ResponseWriter, r *http.Request) error {
	xid := r.PathValue("externalId")
	l, err := s.store.GetLeadByExternalID(r.Context(), xid)
	if errors.Is(err, store.ErrNotFound) {
		// Not repeated back: external ids are often the CRM's key, and some CRMs key people by email.
		return &apiError{status: http.StatusNotFound, msg: "no lead with that external id"}
	}
	if err != nil {
		return err
	}
	return s.writeLeadWithAudit(w, r, l)
}

func (s *Server) writeLeadWithAudit(w http.ResponseWriter, r *http.Request, l *lead.Lead) error {
	events, err := s.store.Audit(r.Context(), l.ID)
	if err != nil {
		return err
	}
	if events == nil {
		events = []store.AuditEvent{}
	}
	writeJSON(w, http.StatusOK, LeadWithAudit{Lead: l, Audit: events})
	return nil
}

// ActivityRequest is the body of POST /v1/leads/{id}/activities. The actor is the token's name and the
// time is the server's clock: a caller cannot record an activity in someone else's name or back-date it.
type ActivityRequest struct {
	Kind   store.ActivityKind `json:"kind"`
	Reason string             `json:"reason,omitempty"`
	Amount float64            `json:"amount,omitempty"`
}

func (s *Server) recordActivity(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req ActivityRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	a := store.Activity{Kind: req.Kind, Reason: req.Reason, Amount: req.Amount,
		Actor: actorFrom(r.Context()), At: s.opts.Clock().UTC()}
	if errs := validate.Activity("", a); len(errs) > 0 {
		return invalid(errs)
	}
	if err := s.mayActOn(r, id); err != nil {
		return err
	}
	p := principalFrom(r.Context())
	if !p.has(ScopeActivitiesAny) {
		a.Owner = p.member // re-checked in the activity's transaction: a reassignment since is seen
	}
	l, err := s.store.Apply(r.Context(), id, a)
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no lead with id %q", id)}
	}
	if errors.Is(err, store.ErrNotOwner) {
		return p.mayActOn("")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/crm/hubspot"
	"github.com/leadops/leadops/internal/crm/salesforce"
)

// CRMOptions turn on the CRM inbound endpoints (POST /v1/crm/{connection}/hubspot/webhook and
// /v1/crm/{connection}/salesforce/outbound-message). They carry no bearer token: each verifies the
// CRM's own proof (HubSpot's request signature, Salesforce's organization id) before anything is read
// or stored.
type CRMOptions struct {
	// Config returns the current CRM configuration (it may be reloaded between calls); nil or a
	// nil result: every connection is unknown (404).
	Config func() *crm.Config
	// Echoes recognises leadops' own owner writes coming back (shared with the write-back worker);
	// nil: none are recognised.
	Echoes crm.WrittenOwners
	// HTTPClient calls the CRM APIs (HubSpot batch read); a client with a 10s timeout when nil.
	HTTPClient *http.Client
}

// crmCallTimeout bounds a call to a CRM's API when CRMOptions.HTTPClient is nil: HubSpot waits 5
// seconds for a webhook answer and retries, so a slow read is better abandoned and redone.
const crmCallTimeout = 10 * time.Second

func (s *Server) crmConnection(r *http.Request, kind crm.Kind) (*crm.Connection, error) {
	name := r.PathValue("connection")
	var cfg *crm.Config
	if s.opts.CRM != nil && s.opts.CRM.Config != nil {
		cfg = s.opts.CRM.Config()
	}
	conn := cfg.Connection(name)
	if conn == nil || conn.CRM != kind || conn.Inbound == nil {
		return nil, &apiError{status: http.StatusNotFound,
			msg: fmt.Sprintf("no %s connection %q with inbound configured in the CRM configuration", kind, name)}
	}
	return conn, nil
}

// crmDelivery reads the body whole (bounded by MaxBodyBytes: signatures cover the raw bytes).
func (s *Server) crmDelivery(w http.ResponseWriter, r *http.Request) (crm.Delivery, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return crm.Delivery{}, tooLarge(mbe)
		}
		return crm.Delivery{}, badRequest("could not read the request body; send it again")
	}
	return crm.Delivery{Method: r.Method, URL: r.URL.String(), Header: r.Header, Body: raw}, nil
}

// crmError maps an adapter's error to the status the CRM acts on: 401 and 400 are final for this
// delivery, 503 and 500 make the CRM retry.
func (s *Server) crmError(r *http.Request, conn *crm.Connection, err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, crm.ErrUnauthenticated):
		return &apiError{status: http.StatusUnauthorized, msg: err.Error()}
	case errors.Is(err, crm.ErrMalformed):
		return badRequest(err.Error())
	case errors.Is(err, crm.ErrUpstream):
		s.log.Error(err, "CRM API call failed", "route", r.Pattern, "connection", conn.Name)
		return &apiError{status: http.StatusServiceUnavailable, msg: "the CRM's API could not be read; the delivery may be retried"}
	default:
		// Missing credentials files and store errors: the operator must act; never record data.
		s.log.Error(err, "CRM delivery failed", "route", r.Pattern, "connection", conn.Name)
		return &apiError{status: http.StatusInternalServerError, msg: "internal error; the delivery may be retried"}
	}
}

func (s *Server) crmHTTPClient() *http.Client {
	if s.opts.CRM != nil && s.opts.CRM.HTTPClient != nil {
		return s.opts.CRM.HTTPClient
	}
	return &http.Client{Timeout: crmCallTimeout}
}

func (s *Server) crmEchoes() crm.WrittenOwners {
	if s.opts.CRM != nil && s.opts.CRM.Echoes != nil {
		return s.opts.CRM.Echoes
	}
	return crm.NoEchoes{}
}

// ingest stores the records and logs what happened (counts and paths only).
func (s *Server) crmIngest(r *http.Request, conn *crm.Connection, recs []crm.Record) (crm.Result, error) {
	res, err := crm.Ingest(r.Context(), s.store, *conn, recs, s.opts.Clock().UTC())
	if err != nil {
		return res, err
	}
	s.log.Info("CRM delivery applied", "connection", conn.Name, "records", res.Records, "stored", res.Stored,
		"unchanged", res.Unchanged, "stale", res.Stale, "echoes", res.Echoes, "invalid", res.Invalid,
		"invalidPaths", res.InvalidPaths, "activities", res.Activities, "repeatedActivities", res.Repeated,
		"refusedActivities", res.Refused, "unknownLeads", res.UnknownLeads)
	return res, nil
}

// hubspotWebhook receives app webhook batches and workflow webhook bodies. 200 with the counts once
// stored; HubSpot retries anything else.
func (s *Server) hubspotWebhook(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.crmConnection(r, crm.HubSpot)
	if err != nil {
		return err
	}
	d, err := s.crmDelivery(w, r)
	if err != nil {
		return err
	}
	in := &hubspot.Inbound{HTTP: s.crmHTTPClient(), Echoes: s.crmEchoes(), Now: s.opts.Clock}
	recs, err := in.Records(r.Context(), *conn, d)
	if err != nil {
		return s.crmError(r, conn, err)
	}
	res, err := s.crmIngest(r, conn, recs)
	if err != nil {
		return s.crmError(r, conn, err)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// salesforceOutboundMessage receives Outbound Messages and answers the SOAP Ack only once the
// records are stored; errors are SOAP faults, so Salesforce keeps the message and retries.
func (s *Server) salesforceOutboundMessage(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.crmConnection(r, crm.Salesforce)
	if err != nil {
		return soapFault(w, err.(*apiError))
	}
	d, err := s.crmDelivery(w, r)
	if err != nil {
		return soapFault(w, s.crmError(r, conn, err))
	}
	in := &salesforce.Inbound{Echoes: s.crmEchoes()}
	recs, err := in.Records(r.Context(), *conn, d)
	if err == nil {
		_, err = s.crmIngest(r, conn, recs)
	}
	if err != nil {
		return soapFault(w, s.crmError(r, conn, err))
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, salesforce.AckXML)
	return nil
}

func soapFault(w http.ResponseWriter, e *apiError) error {
	code := "Client"
	if e.status >= 500 {
		code = "Server"
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.status)
	_, _ = w.Write(salesforce.FaultXML(code, e.msg))
	return nil
}

package api

import (
	"net/http"
	"slices"
)

// route is one endpoint. The route table is the single source of truth: the mux is built from it and the
// OpenAPI test compares docs/api/openapi.yaml against it.
type route struct {
	method  string
	path    string // a net/http ServeMux path pattern, which is also the OpenAPI path template
	public  bool   // served without a token
	handler http.Handler
}

// Pattern is the ServeMux pattern, e.g. "GET /v1/leads/{id}".
func (r route) Pattern() string { return r.method + " " + r.path }

func (s *Server) routes() []route {
	h := func(f func(http.ResponseWriter, *http.Request) error) http.Handler { return s.handle(f) }
	return []route{
		{method: http.MethodGet, path: "/healthz", public: true, handler: h(s.healthz)},
		{method: http.MethodPost, path: "/v1/leads", handler: h(s.upsertLead)},
		{method: http.MethodGet, path: "/v1/leads", handler: h(s.listLeads)},
		{method: http.MethodPost, path: "/v1/leads/batch", handler: h(s.upsertLeads)},
		{method: http.MethodGet, path: "/v1/leads/{id}", handler: h(s.getLead)},
		{method: http.MethodGet, path: "/v1/leads/by-external-id/{externalId}", handler: h(s.getLeadByExternalID)},
		{method: http.MethodPost, path: "/v1/leads/{id}/activities", handler: h(s.recordActivity)},
		{method: http.MethodPut, path: "/v1/accounts/{domain}", handler: h(s.upsertAccount)},
		{method: http.MethodGet, path: "/v1/accounts/{domain}", handler: h(s.getAccount)},
		{method: http.MethodGet, path: "/v1/events", handler: h(s.listEvents)},
		// Public to the bearer check only: each verifies the CRM's signature or organization itself.
		{method: http.MethodPost, path: "/v1/crm/{connection}/hubspot/webhook", public: true, handler: h(s.hubspotWebhook)},
		{method: http.MethodPost, path: "/v1/crm/{connection}/salesforce/outbound-message", public: true, handler: h(s.salesforceOutboundMessage)},
	}
}

// Route describes one served endpoint for documentation checks.
type Route struct {
	Method string
	Path   string
	Public bool
}

// Routes lists every endpoint the server registers, in registration order.
func Routes() []Route {
	var s Server
	rts := s.routes()
	out := make([]Route, len(rts))
	for i, rt := range rts {
		out[i] = Route{Method: rt.method, Path: rt.path, Public: rt.public}
	}
	return out
}

// allowedMethods returns the methods that would match r's path, for a 405's Allow header; none means 404.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && !slices.Contains(allowed, m) {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

package api

import (
	"net/http"
	"slices"
)

// route is one endpoint. The route table is the single source of truth: the mux is built from it and the
// OpenAPI test compares docs/api/openapi.yaml against it.
type route struct {
	method string
	path   string // a net/http ServeMux path pattern, which is also the OpenAPI path template
	public bool   // served without a token
	// scope is what a token needs for this route (scopes.go); a non-public route without one is
	// admin-only, so a route added without thought is closed rather than open.
	scope   Scope
	handler http.Handler
}

// Pattern is the ServeMux pattern, e.g. "GET /v1/leads/{id}".
func (r route) Pattern() string { return r.method + " " + r.path }

func (s *Server) routes() []route {
	h := func(f func(http.ResponseWriter, *http.Request) error) http.Handler { return s.handle(f) }
	return []route{
		{method: http.MethodGet, path: "/healthz", public: true, handler: h(s.healthz)},
		{method: http.MethodPost, path: "/v1/leads", scope: ScopeLeadsWrite, handler: h(s.upsertLead)},
		{method: http.MethodGet, path: "/v1/leads", scope: ScopeLeadsRead, handler: h(s.listLeads)},
		{method: http.MethodPost, path: "/v1/leads/batch", scope: ScopeLeadsWrite, handler: h(s.upsertLeads)},
		{method: http.MethodGet, path: "/v1/leads/{id}", scope: ScopeLeadsRead, handler: h(s.getLead)},
		{method: http.MethodGet, path: "/v1/leads/by-external-id/{externalId}", scope: ScopeLeadsRead, handler: h(s.getLeadByExternalID)},
		// activities:own at the door; recordActivity then checks the lead's owner unless activities:any.
		{method: http.MethodPost, path: "/v1/leads/{id}/activities", scope: ScopeActivitiesOwn, handler: h(s.recordActivity)},
		{method: http.MethodDelete, path: "/v1/leads/{id}/personal-data", scope: ScopeAdmin, handler: h(s.erasePersonalData)},
		{method: http.MethodPut, path: "/v1/accounts/{domain}", scope: ScopeLeadsWrite, handler: h(s.upsertAccount)},
		{method: http.MethodGet, path: "/v1/accounts/{domain}", scope: ScopeLeadsRead, handler: h(s.getAccount)},
		{method: http.MethodGet, path: "/v1/events", scope: ScopeLeadsRead, handler: h(s.listEvents)},
		// Public to the bearer check only: each verifies the CRM's signature or organization itself.
		{method: http.MethodPost, path: "/v1/crm/{connection}/hubspot/webhook", public: true, handler: h(s.hubspotWebhook)},
		{method: http.MethodPost, path: "/v1/crm/{connection}/salesforce/outbound-message", public: true, handler: h(s.salesforceOutboundMessage)},
	}
}

// requiredScope is the route's scope, admin when a non-public route names none.
func (rt route) requiredScope() Scope {
	switch {
	case rt.public:
		return ""
	case rt.scope == "":
		return ScopeAdmin
	}
	return rt.scope
}

// Route describes one served endpoint for documentation checks.
type Route struct {
	Method string
	Path   string
	Public bool
	// Scope is the token scope the route needs; empty for public routes.
	Scope Scope
}

// Routes lists every endpoint the server registers, in registration order.
func Routes() []Route {
	var s Server
	rts := s.routes()
	out := make([]Route, len(rts))
	for i, rt := range rts {
		out[i] = Route{Method: rt.method, Path: rt.path, Public: rt.public, Scope: rt.requiredScope()}
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

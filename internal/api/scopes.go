package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/leadops/leadops/internal/store"
)

// Scope is one permission a token carries (docs/tokens.md). Every authenticated route names the one
// scope it needs in the route table; a handler that needs more (an erasure, a rep's own lead) calls
// requireScope or principal.actsOnLeadOf itself.
type Scope string

const (
	// ScopeLeadsWrite creates and updates leads and accounts: marketing tools, form handlers, imports.
	ScopeLeadsWrite Scope = "leads:write"
	// ScopeLeadsRead reads leads, their audit trail, accounts and the event feed.
	ScopeLeadsRead Scope = "leads:read"
	// ScopeActivitiesOwn records activities only on leads the token's member owns (a rep's token).
	ScopeActivitiesOwn Scope = "activities:own"
	// ScopeActivitiesAny records activities on any lead (team managers, ops).
	ScopeActivitiesAny Scope = "activities:any"
	// ScopeAdmin allows everything, erasure included.
	ScopeAdmin Scope = "admin"
)

// AllScopes lists the scopes a token file may name, in the order docs/tokens.md explains them.
var AllScopes = []Scope{ScopeLeadsWrite, ScopeLeadsRead, ScopeActivitiesOwn, ScopeActivitiesAny, ScopeAdmin}

// implies says which scopes a granted scope also grants: admin everything, activities:any the
// narrower activities:own. leads:write deliberately does not grant leads:read: a form handler that
// posts leads has no business listing them (it still gets the lead it wrote back in the response).
func (s Scope) implies(want Scope) bool {
	switch {
	case s == want, s == ScopeAdmin:
		return true
	case s == ScopeActivitiesAny && want == ScopeActivitiesOwn:
		return true
	}
	return false
}

// principal is who an authenticated request acts as: the token's name (the audit actor), its scopes
// and, for a rep's token, the team member whose leads it may act on.
type principal struct {
	name   string
	scopes []Scope
	member string
}

func (p *principal) has(want Scope) bool {
	return p != nil && slices.ContainsFunc(p.scopes, func(s Scope) bool { return s.implies(want) })
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the request's principal, nil for a public route.
func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// requireScope returns a 403 naming the missing scope unless the request's token carries want (or a
// scope implying it). Handlers that need more than their route's scope call it first thing, e.g.
//
//	if err := requireScope(r, ScopeAdmin); err != nil { return err }
func requireScope(r *http.Request, want Scope) error {
	p := principalFrom(r.Context())
	if p.has(want) {
		return nil
	}
	return forbidden(p, want)
}

// forbidden is the 403 for a token without want. It names the token (which the caller holds anyway) and
// the missing scope, so whoever manages the token file knows which line to change.
func forbidden(p *principal, want Scope) *apiError {
	name, have := "", "none"
	if p != nil {
		name = p.name
		if len(p.scopes) > 0 {
			have = joinScopes(p.scopes)
		}
	}
	return &apiError{status: http.StatusForbidden, msg: fmt.Sprintf(
		"the token %q lacks the scope %s needed here (it has: %s); add scopes=%s to its line in the token file",
		name, want, have, want)}
}

// mayActOn decides whether the principal may record an activity on a lead owned by owner: with
// activities:any on every lead, with activities:own only on leads its member owns. An unowned lead
// (new or qualified, not yet routed) belongs to no rep, so a rep's token cannot act on it.
func (p *principal) mayActOn(owner string) *apiError {
	if p.has(ScopeActivitiesAny) {
		return nil
	}
	if !p.has(ScopeActivitiesOwn) {
		return forbidden(p, ScopeActivitiesOwn)
	}
	if p.member != "" && owner == p.member {
		return nil
	}
	// Neither the owner's name nor anything else about the lead: only that it is not this member's.
	return &apiError{status: http.StatusForbidden, msg: fmt.Sprintf(
		"the token %q acts as member %q, and its scope %s covers only leads that member owns; this lead is not theirs "+
			"(acting on any lead needs the scope %s)", p.name, p.member, ScopeActivitiesOwn, ScopeActivitiesAny)}
}

func joinScopes(ss []Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// checkRouteScope is the route table's scope check, run once the request is authenticated and matched.
func (s *Server) checkRouteScope(r *http.Request) *apiError {
	_, pattern := s.mux.Handler(r)
	want, ok := s.routeScopes[pattern]
	if !ok {
		want = ScopeAdmin // never reached for a matched route; closed if it were
	}
	if p := principalFrom(r.Context()); !p.has(want) {
		return forbidden(p, want)
	}
	return nil
}

// urlTokenParams are query parameters that other APIs take tokens in. A token in a URL lands in proxy
// and access logs, browser history and Referer headers, so such a request is refused outright, even
// with a valid Authorization header, rather than silently ignoring the parameter.
var urlTokenParams = []string{"access_token", "token", "api_token", "api_key", "apikey", "key", "bearer", "auth"}

// tokenInURL refuses a request that carries a token in its query string: a parameter named like one, or
// any value that is one of the server's tokens.
func (s *Server) tokenInURL(r *http.Request) *apiError {
	q := r.URL.Query()
	refuse := &apiError{status: http.StatusBadRequest, msg: "tokens are never accepted in the URL, where proxies and " +
		"access logs record them; send the header \"Authorization: Bearer TOKEN\", and if the URL held a real token, replace it"}
	checked := 0
	for k, vs := range q {
		if slices.Contains(urlTokenParams, strings.ToLower(k)) {
			return refuse
		}
		for _, v := range vs {
			if checked++; checked > 32 || len(v) < 8 {
				continue // bounded work per request; real tokens are long
			}
			if t, _ := s.tokens.authenticate("Bearer " + v); t != nil {
				return refuse
			}
		}
	}
	return nil
}

// mayActOn checks, for a token without activities:any, that the lead exists and its member owns it,
// for a 404 or 403 before anything is applied; recordActivity then makes the activity conditional on
// that owner (store.Activity.Owner), so a reassignment between this read and the write is refused too.
func (s *Server) mayActOn(r *http.Request, id string) error {
	p := principalFrom(r.Context())
	if p.has(ScopeActivitiesAny) {
		return nil
	}
	l, err := s.store.GetLead(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no lead with id %q", id)}
	}
	if err != nil {
		return err
	}
	if e := p.mayActOn(l.Owner); e != nil {
		return e
	}
	return nil
}

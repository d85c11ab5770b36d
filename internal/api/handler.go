package api

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// actorFrom returns the name of the token that authenticated the request: the audit log's actor.
func actorFrom(ctx context.Context) string {
	if p := principalFrom(ctx); p != nil {
		return p.name
	}
	return ""
}

// ServeHTTP authenticates, routes and logs one request. Authentication runs before routing so that an
// unauthenticated caller learns nothing about which paths exist, and before any body is read.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	actor := ""
	defer func() {
		// The pattern, not the URL: paths carry external ids and domains, and query strings carry
		// filters; the pattern says which endpoint ran without any of the caller's data.
		pattern := r.Pattern
		if pattern == "" {
			pattern = "(unmatched)"
		}
		s.log.V(1).Info("request", "method", r.Method, "route", pattern, "status", rec.status,
			"bytes", rec.bytes, "actor", actor, "duration", time.Since(start).String())
	}()
	release, admitted := s.overload.admit(rec, r)
	if !admitted {
		return
	}
	defer release()

	public := s.isPublic(r)
	var tok *token
	if !public {
		if e := s.tokenInURL(r); e != nil {
			writeError(rec, e)
			return
		}
		var why authFailure
		tok, why = s.tokens.authenticate(r.Header.Get("Authorization"))
		if tok == nil {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="leadops"`)
			writeError(rec, s.unauthorized(r.Header.Get("Authorization"), why))
			return
		}
		actor = tok.name
		r = r.WithContext(withPrincipal(r.Context(), &tok.principal))
		if ok, wait := s.limits.allow(tok); !ok {
			tooManyRequests(rec, tok, wait)
			return
		}
	}

	if _, pattern := s.mux.Handler(r); pattern == "" {
		if allowed := s.allowedMethods(r); len(allowed) > 0 {
			rec.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(rec, &apiError{status: http.StatusMethodNotAllowed,
				msg: "method " + r.Method + " is not allowed here; use " + strings.Join(allowed, " or ")})
			return
		}
		writeError(rec, &apiError{status: http.StatusNotFound, msg: "no such endpoint"})
		return
	}
	if !public {
		if e := s.checkRouteScope(r); e != nil {
			writeError(rec, e)
			return
		}
	}
	// ServeHTTP (not the handler found above) so the mux fills in r.Pattern and the path values.
	s.mux.ServeHTTP(rec, r)
}

// tokenExpectation is what every 401 tells the caller, since the usual mistake is sending the wrong
// thing rather than a wrong secret: the whole name:token line, or the file path, or no header.
const tokenExpectation = "send the header \"Authorization: Bearer TOKEN\" where TOKEN is one of the tokens in the " +
	"server's --api-token-file (each line of that file is NAME:TOKEN or TOKEN, then options such as scopes=; only TOKEN is sent)"

// unauthorized says what was wrong with the Authorization header. It never says anything about the
// tokens the server holds, except that a NAME:TOKEN value whose TOKEN part is valid should be sent
// without the name: only a caller who already holds that token can learn it.
func (s *Server) unauthorized(header string, why authFailure) *apiError {
	const prefix = "a valid bearer token is required: "
	msg := prefix + tokenExpectation
	scheme, secret, _ := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	switch {
	case why == authExpired:
		msg = prefix + "the token has expired (its line in the token file has an expires= time in the past); ask for a new one"
	case header == "":
		msg = prefix + "the request has no Authorization header; " + tokenExpectation
	case !strings.EqualFold(scheme, "Bearer"):
		msg = prefix + "the Authorization header is not a Bearer token; " + tokenExpectation
	case strings.Contains(secret, ":"):
		_, tok, _ := strings.Cut(secret, ":") // the token file splits at the first colon too
		if f := strings.Fields(tok); len(f) > 0 {
			tok = f[0] // a whole line with its options
		}
		if t, _ := s.tokens.authenticate("Bearer " + tok); t != nil {
			msg = prefix + "the request sent a whole NAME:TOKEN line of the token file; send only the TOKEN after the colon"
			break
		}
		fallthrough
	default:
		msg = prefix + "the token is not one the server accepts; " + tokenExpectation
	}
	return &apiError{status: http.StatusUnauthorized, msg: msg}
}

func (s *Server) isPublic(r *http.Request) bool {
	_, pattern := s.mux.Handler(r)
	_, ok := s.publicPatterns[pattern]
	return ok
}

// statusRecorder remembers the status code and size for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController and MaxBytesReader reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

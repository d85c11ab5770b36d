package api

import (
	"context"
	"net/http"
	"strings"
	"time"
)

type actorKey struct{}

// actorFrom returns the name of the token that authenticated the request.
func actorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
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

	if !s.isPublic(r) {
		name, ok := s.tokens.authenticate(r.Header.Get("Authorization"))
		if !ok {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="leadops"`)
			writeError(rec, &apiError{status: http.StatusUnauthorized, msg: "a valid bearer token is required"})
			return
		}
		actor = name
		r = r.WithContext(context.WithValue(r.Context(), actorKey{}, name))
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
	// ServeHTTP (not the handler found above) so the mux fills in r.Pattern and the path values.
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) isPublic(r *http.Request) bool {
	_, ok := s.publicPaths[r.URL.Path]
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

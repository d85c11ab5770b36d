package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/store"
)

// apiError is an error with the HTTP status and the message the caller sees; fields are the field
// errors behind a 400 or 422, sent as the body's "fields".
type apiError struct {
	status int
	msg    string
	fields fielderr.List
	// retryAfter, when positive, is sent as the Retry-After header (whole seconds).
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.msg }

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error  string           `json:"error"`
	Fields []fielderr.Error `json:"fields,omitempty"`
}

func badRequest(msg string, fields ...fielderr.Error) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: msg, fields: fields}
}

func invalid(errs fielderr.List) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msg: "the request is not valid: " + errs.Error(), fields: errs}
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.status, ErrorBody{Error: e.msg, Fields: e.fields})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store") // responses carry personal data
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Retry-After delays of a 503 from a store outage: a database restart or failover takes seconds, so
// clients come back soon; a full disk needs an operator, so they back off for longer.
const (
	retryAfterUnreachable = 1 * time.Second
	retryAfterStorage     = 30 * time.Second
)

// storeUnavailable is the 503 for a store outage: always a 503 (never a 500, never a 507) so every
// HTTP client's retry logic treats it as transient, with Retry-After and a message that says what
// is wrong without any of the request's data. A 507 Insufficient Storage was considered for a full
// disk and rejected: it is a WebDAV status most client libraries do not retry.
func storeUnavailable(o store.Outage) *apiError {
	after := retryAfterUnreachable
	if o == store.OutOfSpace || o == store.ReadOnlyStorage {
		after = retryAfterStorage
	}
	return &apiError{status: http.StatusServiceUnavailable, msg: o.String(), retryAfter: after}
}

// handle adapts a handler that returns an error: store errors become the matching status, anything
// unexpected becomes a 500 whose details go to the log only.
func (s *Server) handle(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		var (
			ae *apiError
			te *store.TransitionError
			ie *store.ItemError
			fe *fielderr.Error
		)
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &te):
			// The store's message names the current stage and the allowed ones: exactly what the
			// caller needs to fix the call.
			ae = &apiError{status: http.StatusConflict, msg: err.Error()}
		case errors.As(err, &ie) && errors.As(err, &fe):
			// The API validates first, so the store's own checks firing means the two disagree:
			// still the caller's input, so a 422 with the item's path, never a 500.
			ae = invalid(fielderr.List{fe.Under(fmt.Sprintf("leads[%d]", ie.Index))})
		case errors.As(err, &fe):
			ae = invalid(fielderr.List{*fe})
		case errors.Is(err, store.ErrNotFound):
			ae = &apiError{status: http.StatusNotFound, msg: "not found"}
		case errors.Is(err, store.ErrConflict):
			ae = &apiError{status: http.StatusConflict, msg: store.ErrConflict.Error()}
		case errors.Is(err, store.ErrBadCursor):
			ae = badRequest("the cursor is not valid; start again without one",
				fielderr.Error{Path: "cursor", Message: "is not a cursor returned by this API"})
		case store.Unavailable(err):
			ae = storeUnavailable(store.Classify(err))
			// Every request fails alike during an outage: the readiness check and the store's
			// metrics say so once; per-request lines only at verbosity 1.
			s.log.V(1).Info("request refused: the lead store is unavailable", "route", r.Pattern, "error", err.Error())
		default:
			// Store errors describe queries and constraints, not row values, so they are safe to log.
			s.log.Error(err, "request failed", "route", r.Pattern)
			ae = &apiError{status: http.StatusInternalServerError, msg: "internal error; the request may be retried"}
		}
		writeError(w, ae)
	})
}

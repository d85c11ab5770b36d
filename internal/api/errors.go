package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/store"
)

// apiError is an error with the HTTP status and the message the caller sees; fields are the field
// errors behind a 400 or 422, sent as the body's "fields".
type apiError struct {
	status int
	msg    string
	fields fielderr.List
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
		default:
			// Store errors describe queries and constraints, not row values, so they are safe to log.
			s.log.Error(err, "request failed", "route", r.Pattern)
			ae = &apiError{status: http.StatusInternalServerError, msg: "internal error; the request may be retried"}
		}
		writeError(w, ae)
	})
}

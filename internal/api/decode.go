package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/leadops/leadops/internal/validate"
)

// decodeJSON reads exactly one JSON value into dst. It refuses bodies over the size limit (413), other
// content types (415), unknown fields, wrong types, and anything after the value: a client that sends
// two objects or a misspelled field has a bug, and silently ignoring part of its request would hide it.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &apiError{status: http.StatusUnsupportedMediaType, msg: "the request body must be application/json"}
		}
	}
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return s.decodeError(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return badRequest("the request body must hold exactly one JSON value; found more after it")
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return s.decodeError(err)
		}
		return badRequest("the request body must hold exactly one JSON value; found trailing data after it")
	}
}

func (s *Server) decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest("the request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &se):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error()))
	case errors.As(err, &te):
		path := te.Field
		if path == "" {
			return badRequest(fmt.Sprintf("the request body must be a JSON %s", objectWord(te)))
		}
		fe := validate.FieldError{Path: path, Message: fmt.Sprintf("must be %s, not %s", typeWord(te.Type.Kind().String()), te.Value)}
		return badRequest("the request is not valid: "+fe.Error(), fe)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; the message format is stable since Go 1.10.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		fe := validate.FieldError{Path: name, Message: "is not a known field"}
		return badRequest("the request is not valid: "+fe.Error(), fe)
	default:
		return badRequest("malformed JSON: " + err.Error())
	}
}

func objectWord(te *json.UnmarshalTypeError) string {
	if te.Type != nil && te.Type.Kind().String() == "slice" {
		return "array"
	}
	return "object"
}

func typeWord(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	default:
		return "a " + kind
	}
}

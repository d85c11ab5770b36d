package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/leadops/leadops/internal/fielderr"
)

// contentTypeHint is how the 415 message tells the caller to fix the request.
const contentTypeHint = "send the JSON body with the header Content-Type: application/json"

// checkContentType accepts application/json (with any parameters) and a body sent without a
// Content-Type, which is JSON by the API's definition. Anything else is refused: in particular
// application/x-www-form-urlencoded, which curl -d sends unless told otherwise, because a form body
// is a different encoding and guessing would make a real form post fail later with a confusing
// "malformed JSON".
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		return nil
	}
	msg := "the request body must be JSON: " + contentTypeHint
	switch {
	case mt == "application/x-www-form-urlencoded":
		msg += fmt.Sprintf(" (got %s, which curl -d sends by default: add -H \"Content-Type: application/json\")", mt)
	case err == nil:
		msg += fmt.Sprintf(" (got %s)", mt)
	}
	return &apiError{status: http.StatusUnsupportedMediaType, msg: msg}
}

// decodeJSON reads exactly one JSON value into dst. It refuses bodies over the size limit (413), other
// content types (415), unknown fields, wrong types, invalid UTF-8, and anything after the value: a
// client that sends two objects or a misspelled field has a bug, and silently ignoring part of its
// request would hide it. The body is read whole (it is bounded by MaxBodyBytes) so that errors can be
// traced back to the field path where they occur.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe)
		}
		return badRequest("could not read the request body; send it again")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	derr := dec.Decode(dst)
	var se *json.SyntaxError
	switch {
	case errors.Is(derr, io.EOF):
		return badRequest("the request body is empty; a JSON object is required")
	case errors.Is(derr, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends in the middle of a value")
	case errors.As(derr, &se):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error()))
	}
	// encoding/json replaces invalid UTF-8 in strings with U+FFFD without a word; storing the
	// replacement would silently corrupt names and companies, so the whole request is refused.
	if !utf8.Valid(raw) {
		return invalid(fielderr.List{invalidUTF8(raw)})
	}
	if off, found := loneSurrogate(raw); found && derr == nil {
		return invalid(fielderr.List{textErrorAt(raw, off, surrogateMsg)})
	}
	if derr != nil {
		return decodeError(derr, raw)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return badRequest("the request body must hold exactly one JSON value; found more after it")
	default:
		return badRequest("the request body must hold exactly one JSON value; found trailing data after it")
	}
}

func tooLarge(mbe *http.MaxBytesError) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
}

// decodeError maps what json.Decoder.Decode returns for a syntactically valid body: a wrong type is
// a validation error (422) with the field path, like every other problem with a field's value;
// unknown fields stay 400 as the API documents.
func decodeError(err error, raw []byte) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		path, found := typeErrorPath(raw, te)
		if !found {
			path = te.Field // dotted, without array indexes: still better than nothing
		}
		if path == "" {
			return badRequest(fmt.Sprintf("the request body must be a JSON %s", objectWord(te)))
		}
		return invalid(fielderr.List{{Path: path, Message: typeMessage(te)}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; the message format is stable since Go 1.10.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		fe := fielderr.Error{Path: name, Message: "is not a known field"}
		return badRequest("the request is not valid: "+fe.Error(), fe)
	default:
		return badRequest("malformed JSON: " + err.Error())
	}
}

// typeMessage words a type error without quoting the value, which may be personal data.
func typeMessage(te *json.UnmarshalTypeError) string {
	want := typeWord(te.Type.Kind().String())
	got := valueWord(te.Value)
	if got == "a number" && (want == "a whole number" || want == "a number") {
		return "must be " + want + " in range" // a fraction for an integer, or an overflow
	}
	return fmt.Sprintf("must be %s, not %s", want, got)
}

func valueWord(v string) string {
	switch {
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "an array"
	case v == "object":
		return "an object"
	default:
		return v
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

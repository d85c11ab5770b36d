package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// recordingStore is the part of the store the upsert endpoints reach: it keeps what it was given, so
// the fuzz target can check that only valid, normalized input ever reaches a store.
type recordingStore struct {
	api.Store // nil: any other call panics, and the fuzzer reports it
	got       []store.LeadInput
}

func (s *recordingStore) UpsertLead(_ context.Context, in store.LeadInput, _ string) (*lead.Lead, bool, error) {
	s.got = append(s.got, in)
	return &lead.Lead{ID: "l-1", ExternalID: in.ExternalID, Stage: lead.StageNew}, true, nil
}

func (s *recordingStore) UpsertLeads(_ context.Context, ins []store.LeadInput, _ string) ([]*lead.Lead, error) {
	s.got = append(s.got, ins...)
	out := make([]*lead.Lead, len(ins))
	for i, in := range ins {
		out[i] = &lead.Lead{ID: "l-1", ExternalID: in.ExternalID, Stage: lead.StageNew}
	}
	return out, nil
}

// FuzzUpsertBody sends arbitrary bodies to the single and batch upsert endpoints (decode, then
// validation and normalization) and checks what a client and the store rely on: the answer is a 2xx
// or a 4xx with a JSON error body, never a 5xx or a panic; a refused request reaches no store; an
// accepted one reaches it valid, already normalized (normalizing again changes nothing) and in valid
// UTF-8.
func FuzzUpsertBody(f *testing.F) {
	for _, seed := range []string{
		`{"externalId":"L1","email":"ana@example.com","company":"Acme","score":50}`,
		`{"externalId":"L1","email":"Ana@Example.COM","phone":"+49 30 1234567","domain":"Example.com.","attributes":{"plan":"pro","seats":4,"tags":["a","b"]}}`,
		`{"externalId":"L1","employees":-1}`,
		`{"externalId":"L1","score":1.5}`,
		`{"externalId":"L1","score":"high"}`,
		`{"externalId":"L1","unknown":1}`,
		`{"externalId":"L1"} {"externalId":"L2"}`,
		`{"externalId":"L1","attributes":{"a":{"b":{"c":[1,2,{"d":null}]}}}}`,
		`{"externalId":"L1","name":"\xff"}`,
		`{"externalId":"L1","original":{"email":"x"}}`,
		`[]`, `null`, `"x"`, ``, `{`, `{"leads":[]}`,
	} {
		f.Add(false, []byte(seed))
	}
	for _, seed := range []string{
		`{"leads":[{"externalId":"L1","email":"ana@example.com"},{"externalId":"L2","email":"bob@example.com"}]}`,
		`{"leads":[{"externalId":"L1"},{"externalId":"L1"}]}`,
		`{"leads":[{"externalId":"L1"},{"externalId":"L2","score":[1]}]}`,
		`{"leads":{}}`, `{"leads":null}`, `{"leads":[null]}`,
	} {
		f.Add(true, []byte(seed))
	}
	tokenPath := filepath.Join(f.TempDir(), "tokens")
	if err := os.WriteFile(tokenPath, []byte("fuzz:"+tokenHubspot+"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, batch bool, body []byte) {
		st := &recordingStore{}
		srv, err := api.NewServer(st, api.Options{TokenFile: tokenPath, MaxBodyBytes: 64 << 10,
			TokenReloadInterval: time.Hour, Clock: func() time.Time { return testNow }, Logger: logr.Discard()})
		if err != nil {
			t.Fatal(err)
		}
		path := "/v1/leads"
		if batch {
			path = "/v1/leads/batch"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokenHubspot)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)

		status := rec.Code
		switch {
		case status == http.StatusOK || status == http.StatusCreated:
			if len(st.got) == 0 {
				t.Fatalf("%d but the store got nothing", status)
			}
		case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge ||
			status == http.StatusUnprocessableEntity:
			if len(st.got) != 0 {
				t.Fatalf("%d but the store got %d leads", status, len(st.got))
			}
			var eb api.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error == "" {
				t.Fatalf("%d with an error body that is not the documented JSON: %q", status, rec.Body.Bytes())
			}
			if !utf8.ValidString(eb.Error) {
				t.Fatalf("error message is not valid UTF-8: %q", eb.Error)
			}
		default:
			t.Fatalf("status %d for body %q: %s", status, body, rec.Body.Bytes())
		}
		for i, in := range st.got {
			again, errs := validate.NormalizeLead("", in)
			if len(errs) > 0 {
				t.Fatalf("lead %d reached the store invalid: %v", i, errs)
			}
			if !reflect.DeepEqual(normalizedView(again), normalizedView(in)) {
				t.Fatalf("lead %d reached the store not normalized:\n got %+v\nagain %+v", i, in, again)
			}
			j, err := json.Marshal(in)
			if err != nil {
				t.Fatalf("lead %d cannot be encoded again: %v", i, err)
			}
			if !utf8.Valid(j) || strings.Contains(string(j), "\ufffd") && !bytes.Contains(body, []byte("\ufffd")) &&
				!bytes.Contains(body, []byte(`\ufffd`)) && !bytes.Contains(body, []byte(`\uFFFD`)) {
				t.Fatalf("lead %d holds replaced or invalid UTF-8: %s", i, j)
			}
		}
	})
}

// normalizedView leaves out Original, which records what the first normalization changed: a second
// pass changes nothing, so it records nothing.
func normalizedView(in store.LeadInput) store.LeadInput {
	in.Original = nil
	return in
}

package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// TestBadRequestsChangeNothing sends malformed, unauthenticated and illegal requests and checks, for
// each, the status, the message, the field path where there is one, and that the store is unchanged.
func TestBadRequestsChangeNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		// Fixtures: a new lead, a routed (owned) lead, and an account.
		fresh, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "NEW-1", Email: "ann@example.com", Domain: "acme.com"}, "seed")
		if err != nil {
			t.Fatal(err)
		}
		routed, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "ROUTED-1", Domain: "beta.io"}, "seed")
		if err != nil {
			t.Fatal(err)
		}
		routeLead(t, st, routed.ID, "alice", "default/emea")
		if err := st.UpsertAccount(ctx, store.Account{Domain: "acme.com", Owner: "bob"}); err != nil {
			t.Fatal(err)
		}

		const json = "application/json"
		bearer := "Bearer " + tokenHubspot
		big := `{"externalId":"BIG","campaign":"` + strings.Repeat("x", 70<<10) + `"}`
		activities := "/v1/leads/" + routed.ID + "/activities"
		var batch11 strings.Builder
		batch11.WriteString(`{"leads":[`)
		for i := range 1001 {
			if i > 0 {
				batch11.WriteByte(',')
			}
			fmt.Fprintf(&batch11, `{"externalId":"B%d"}`, i)
		}
		batch11.WriteString(`]}`)

		cases := []struct {
			name, method, path, ctype, auth, body string
			status                                int
			msg                                   string // substring of the error message
			field                                 string // path of the first field error, if any
		}{
			{"no token", "POST", "/v1/leads", json, "", `{"externalId":"X1"}`, 401, "a valid bearer token is required", ""},
			{"wrong token", "POST", "/v1/leads", json, "Bearer nope", `{"externalId":"X1"}`, 401, "a valid bearer token is required", ""},
			{"token as basic auth", "POST", "/v1/leads", json, "Basic " + tokenHubspot, `{"externalId":"X1"}`, 401, "bearer token", ""},
			{"token prefix", "GET", "/v1/leads", "", "Bearer " + tokenHubspot[:10], "", 401, "bearer token", ""},
			{"no token on an unknown path", "GET", "/v1/secret", "", "", "", 401, "bearer token", ""},
			{"malformed JSON", "POST", "/v1/leads", json, bearer, `{"externalId":`, 400, "malformed JSON", ""},
			{"syntax error", "POST", "/v1/leads", json, bearer, `{"externalId" "X1"}`, 400, "malformed JSON at byte", ""},
			{"empty body", "POST", "/v1/leads", json, bearer, ``, 400, "request body is empty", ""},
			{"unknown field", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","fax":"123"}`, 400, "is not a known field", "fax"},
			{"named token line as the token", "POST", "/v1/leads", json, "Bearer hubspot:" + tokenHubspot, `{"externalId":"X1"}`, 401, "send only the TOKEN after the colon", ""},
			{"401 says what the server expects", "POST", "/v1/leads", json, "Bearer nope", `{"externalId":"X1"}`, 401, "one of the tokens in the server's --api-token-file (each line of that file is NAME:TOKEN or TOKEN", ""},
			{"401 without a header says so", "GET", "/v1/leads", "", "", "", 401, "no Authorization header", ""},
			{"wrong type", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","score":"high"}`, 422, "score: must be a whole number, not a string", "score"},
			{"wrong type, a fraction", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","employees":2.5}`, 422, "must be a whole number", "employees"},
			{"wrong type in a batch item", "POST", "/v1/leads/batch", json, bearer, `{"leads":[{"externalId":"A"},{"externalId":"B","score":"high"}]}`, 422, "leads[1].score", "leads[1].score"},
			{"object for a list", "POST", "/v1/leads/batch", json, bearer, `{"leads":{"externalId":"A"}}`, 422, "must be an array, not an object", "leads"},
			{"number for a string", "POST", "/v1/leads", json, bearer, `{"externalId":7}`, 422, "must be a string, not a number", "externalId"},
			{"wrong type for an activity", "POST", activities, json, bearer, `{"kind":"win","amount":"lots"}`, 422, "must be a number, not a string", "amount"},
			{"invalid UTF-8", "POST", "/v1/leads", json, bearer, "{\"externalId\":\"X1\",\"company\":\"Caf\xe9\"}", 422, "company: is not valid UTF-8", "company"},
			{"invalid UTF-8 in a batch item", "POST", "/v1/leads/batch", json, bearer, "{\"leads\":[{\"externalId\":\"A\"},{\"externalId\":\"B\",\"name\":\"\xff\xfe\"}]}", 422, "not valid UTF-8", "leads[1].name"},
			{"invalid UTF-8 in an attribute", "POST", "/v1/leads", json, bearer, "{\"externalId\":\"X1\",\"attributes\":{\"plan\":[\"ok\",\"\xc3\"]}}", 422, "not valid UTF-8", "attributes.plan[1]"},
			{"invalid UTF-8 in an attribute key", "POST", "/v1/leads", json, bearer, "{\"externalId\":\"X1\",\"attributes\":{\"pl\x80n\":1}}", 422, "has a key that is not valid UTF-8", "attributes"},
			{"invalid UTF-8 in an activity reason", "POST", activities, json, bearer, "{\"kind\":\"touch\",\"reason\":\"\xe9t\xe9\"}", 422, "not valid UTF-8", "reason"},
			{"array instead of object", "POST", "/v1/leads", json, bearer, `[{"externalId":"X1"}]`, 400, "must be a JSON object", ""},
			{"trailing garbage", "POST", "/v1/leads", json, bearer, `{"externalId":"X1"} trailing`, 400, "exactly one JSON value", ""},
			{"two JSON values", "POST", "/v1/leads", json, bearer, `{"externalId":"X1"}{"externalId":"X2"}`, 400, "exactly one JSON value", ""},
			{"oversized body", "POST", "/v1/leads", json, bearer, big, 413, "larger than 65536 bytes", ""},
			{"not JSON content type", "POST", "/v1/leads", "text/csv", bearer, `{"externalId":"X1"}`, 415, "Content-Type: application/json (got text/csv)", ""},
			{"curl -d without a content type", "POST", "/v1/leads", "application/x-www-form-urlencoded", bearer, `{"externalId":"X1"}`, 415, `send the JSON body with the header Content-Type: application/json (got application/x-www-form-urlencoded, which curl -d sends by default: add -H "Content-Type: application/json")`, ""},
			{"unparsable content type", "PUT", "/v1/accounts/nobody.io", "json;;", bearer, `{"owner":"bob"}`, 415, "Content-Type: application/json", ""},
			{"bad email", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","email":"ann at example"}`, 422, "not a valid email address", "email"},
			{"impossible email", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","email":"ann@@example.com"}`, 422, "email: is not a valid email address", "email"},
			{"email with a display name", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","email":"Ann <ann@example.com>"}`, 422, "not a valid email address", "email"},
			{"email at a single-label host", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","email":"ann@localhost"}`, 422, "not a valid email address", "email"},
			{"invalid phone", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","country":"Germany","phone":"12345"}`, 422, "phone: not a phone number for region DE", "phone"},
			{"phone that is text", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","country":"US","phone":"call me"}`, 422, "phone: not a phone number for region US", "phone"},
			{"national phone without a country", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","phone":"030 1234567"}`, 422, "national numbers need the lead's country", "phone"},
			{"invalid country", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","country":"Atlantis"}`, 422, "country: unknown country", "country"},
			{"public suffix as domain", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","domain":"co.uk"}`, 422, "domain: is not a valid domain name (a public suffix", "domain"},
			{"batch with an invalid phone", "POST", "/v1/leads/batch", json, bearer, `{"leads":[{"externalId":"OK-1","country":"DE","phone":"030 1234567"},{"externalId":"OK-2","country":"DE","phone":"0"}]}`, 422, "leads[1].phone: not a phone number for region DE", "leads[1].phone"},
			{"batch with an invalid country", "POST", "/v1/leads/batch", json, bearer, `{"leads":[{"externalId":"OK-1","country":"Deutschland"},{"externalId":"OK-2","country":"Narnia"}]}`, 422, "leads[1].country: unknown country", "leads[1].country"},
			{"negative employees", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","employees":-3}`, 422, "must not be negative", "employees"},
			{"overlong company", "POST", "/v1/leads", json, bearer, `{"externalId":"X1","company":"` + strings.Repeat("c", 201) + `"}`, 422, "too long", "company"},
			{"missing external id", "POST", "/v1/leads", json, bearer, `{"email":"ann@example.com"}`, 422, "is required", "externalId"},
			{"batch with one bad item", "POST", "/v1/leads/batch", json, bearer, `{"leads":[{"externalId":"OK-1"},{"externalId":"OK-2","email":"nope"},{"externalId":"OK-3"}]}`, 422, "leads[1].email", "leads[1].email"},
			{"batch repeating an external id", "POST", "/v1/leads/batch", json, bearer, `{"leads":[{"externalId":"D"},{"externalId":"D"}]}`, 422, "repeats the external id of leads[0]", "leads[1].externalId"},
			{"empty batch", "POST", "/v1/leads/batch", json, bearer, `{"leads":[]}`, 422, "at least one lead", "leads"},
			{"batch too large", "POST", "/v1/leads/batch", json, bearer, batch11.String(), 422, "at most 1000", "leads"},
			{"unknown field in batch item", "POST", "/v1/leads/batch", json, bearer, `{"leads":[{"externalId":"A","nope":1}]}`, 400, "is not a known field", "nope"},
			{"reject without reason", "POST", activities, json, bearer, `{"kind":"reject"}`, 422, "is required", "reason"},
			{"win without amount", "POST", activities, json, bearer, `{"kind":"win"}`, 422, "greater than zero", "amount"},
			{"negative amount", "POST", activities, json, bearer, `{"kind":"win","amount":-100}`, 422, "greater than zero", "amount"},
			{"amount on a touch", "POST", activities, json, bearer, `{"kind":"touch","amount":5}`, 422, "only allowed when winning", "amount"},
			{"routing is the controller's", "POST", activities, json, bearer, `{"kind":"route"}`, 422, "must be one of", "kind"},
			{"actor cannot be chosen", "POST", activities, json, bearer, `{"kind":"touch","actor":"ceo"}`, 400, "is not a known field", "actor"},
			{"illegal transition", "POST", "/v1/leads/" + fresh.ID + "/activities", json, bearer, `{"kind":"accept"}`, 409, `cannot accept a lead in stage "new"; allowed from "new": qualify → qualified, disqualify → disqualified`, ""},
			{"win before accept", "POST", activities, json, bearer, `{"kind":"win","amount":10}`, 409, `cannot win a lead in stage "routed"`, ""},
			{"activity on unknown lead", "POST", "/v1/leads/no-such-lead/activities", json, bearer, `{"kind":"touch"}`, 404, `no lead with id "no-such-lead"`, ""},
			{"get unknown lead", "GET", "/v1/leads/no-such-lead", "", bearer, "", 404, `no lead with id "no-such-lead"`, ""},
			{"get unknown external id", "GET", "/v1/leads/by-external-id/NOPE", "", bearer, "", 404, "no lead with that external id", ""},
			{"bad cursor", "GET", "/v1/leads?cursor=not-a-cursor", "", bearer, "", 400, "cursor is not valid", "cursor"},
			{"unknown query parameter", "GET", "/v1/leads?ownr=alice", "", bearer, "", 400, "is not a known query parameter", "ownr"},
			{"unknown stage", "GET", "/v1/leads?stage=routed,open", "", bearer, "", 400, `"open" is not a stage`, "stage"},
			{"limit out of range", "GET", "/v1/leads?limit=0", "", bearer, "", 400, "from 1 to 500", "limit"},
			{"wrong method", "DELETE", "/v1/leads/" + fresh.ID, "", bearer, "", 405, "method DELETE is not allowed here; use GET", ""},
			{"wrong method on collection", "PUT", "/v1/leads", json, bearer, `{}`, 405, "use GET or POST", ""},
			{"unknown endpoint", "GET", "/v2/leads", "", bearer, "", 404, "no such endpoint", ""},
			{"account without owner", "PUT", "/v1/accounts/nobody.io", json, bearer, `{"name":"Nobody"}`, 422, "is required", "owner"},
			{"account with bad domain", "PUT", "/v1/accounts/nobody", json, bearer, `{"owner":"bob"}`, 422, "not a valid domain", "domain"},
			{"account unknown field", "PUT", "/v1/accounts/nobody.io", json, bearer, `{"owner":"bob","domain":"x.io"}`, 400, "is not a known field", "domain"},
		}
		if len(cases) < 15 {
			t.Fatalf("only %d cases", len(cases))
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, st)
				r := ts.do(t, tc.method, tc.path, tc.ctype, tc.auth, []byte(tc.body))
				if r.status != tc.status {
					t.Errorf("status %d, want %d (body %s)", r.status, tc.status, r.body)
				}
				if !strings.Contains(r.err.Error, tc.msg) {
					t.Errorf("message %q, want it to contain %q", r.err.Error, tc.msg)
				}
				if tc.field != "" && (len(r.err.Fields) == 0 || r.err.Fields[0].Path != tc.field) {
					t.Errorf("fields %+v, want the first on %q", r.err.Fields, tc.field)
				}
				switch tc.status {
				case 401:
					if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
						t.Errorf("WWW-Authenticate = %q", got)
					}
				case 405:
					if r.header.Get("Allow") == "" {
						t.Error("405 without an Allow header")
					}
				}
				if after := snapshot(t, st); after != before {
					t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
		// Refused requests must not leak the personal data they carried into the logs.
		for _, pii := range []string{"ann@example.com", "ann at example"} {
			if strings.Contains(ts.logs.String(), pii) {
				t.Errorf("the log contains %q", pii)
			}
		}
	})
}

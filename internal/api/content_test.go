package api_test

import (
	"context"
	"testing"

	"github.com/leadops/leadops/internal/store"
)

// TestJSONBodies: what the API accepts as a JSON body. A body without a Content-Type is JSON by
// definition, application/json may carry parameters, and valid non-ASCII UTF-8 is stored unchanged
// (only invalid UTF-8 is refused, see TestBadRequestsChangeNothing).
func TestJSONBodies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		for _, tc := range []struct {
			name, ctype, ext, company string
		}{
			{"no content type", "", "CT-1", "Acme"},
			{"charset parameter", "application/json; charset=utf-8", "CT-2", "Café Müller"},
			{"upper case", "Application/JSON", "CT-3", "東京商事 🚀"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := `{"externalId":"` + tc.ext + `","company":"` + tc.company + `"}`
				r := ts.do(t, "POST", "/v1/leads", tc.ctype, "Bearer "+tokenHubspot, []byte(body))
				if r.status != 201 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				l, err := st.GetLeadByExternalID(context.Background(), tc.ext)
				if err != nil || l.Company != tc.company {
					t.Fatalf("stored %v %+v", err, l)
				}
			})
		}
	})
}

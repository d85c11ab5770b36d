package api_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestErasePersonalData: DELETE /v1/leads/{id}/personal-data wipes the lead's personal data, keeps
// its facts, records an erased event by the token's name, answers 404 for an unknown lead and 401
// without a token and 403 to a token without the admin scope.
func TestErasePersonalData(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		// alice is an operator (admin); hubspot a marketing tool (leads:write, leads:read).
		tokens := filepath.Join(t.TempDir(), "tokens")
		if err := os.WriteFile(tokens, []byte("alice:"+tokenAlice+" scopes=admin\nhubspot:"+tokenHubspot+" scopes=leads:write,leads:read\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ts := startServer(t, st, func(o *api.Options) { o.TokenFile = tokens })
		ctx := context.Background()
		l, _, err := ts.hubspot.UpsertLead(ctx, store.LeadInput{ExternalID: "E-1", Email: "ann@example.com", Name: "Ann Example",
			Phone: "+4930123456", Company: "Ann Consulting", Source: "webinar", Attributes: map[string]any{"note": "Ann's cat"}})
		if err != nil {
			t.Fatal(err)
		}
		if r := ts.do(t, http.MethodDelete, "/v1/leads/"+l.ID+"/personal-data", "", "", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("without a token: HTTP %d, want 401", r.status)
		}
		if _, err := ts.hubspot.ErasePersonalData(ctx, l.ID); err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("erase with a leads:write token: %v, want 403", err)
		}
		er, err := ts.alice.ErasePersonalData(ctx, l.ID)
		if err != nil {
			t.Fatalf("erase: %v", err)
		}
		if len(er.LeadIDs) != 1 || er.LeadIDs[0] != l.ID || er.At.IsZero() {
			t.Fatalf("erasure = %+v", er)
		}
		got, err := ts.alice.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Lead.Email != "" || got.Lead.Name != "" || got.Lead.Phone != "" || got.Lead.Company != "" ||
			len(got.Lead.Attributes) != 0 || got.Lead.Source != "webinar" || got.Lead.Stage != lead.StageNew {
			t.Errorf("lead after erasure: %+v", got.Lead)
		}
		last := got.Audit[len(got.Audit)-1]
		if last.Type != lead.EventErased || last.Actor != "alice" {
			t.Errorf("last audit event %+v, want erased by alice", last)
		}
		if _, err := ts.alice.ErasePersonalData(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown lead: %v, want not found", err)
		}
		for _, pii := range []string{"ann@example.com", "Ann Example"} {
			if strings.Contains(ts.logs.String(), pii) {
				t.Errorf("the log contains %q", pii)
			}
		}
	})
}

package api_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/api"
)

// openAPIDoc is the part of docs/api/openapi.yaml this test reads.
type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

type openAPIOperation struct {
	OperationID string                    `json:"operationId"`
	Scope       string                    `json:"x-scope"`
	Security    *[]map[string]any         `json:"security"`
	Responses   map[string]map[string]any `json:"responses"`
}

// TestOpenAPIMatchesRoutes keeps docs/api/openapi.yaml in step with the server: the route list comes
// from api.Routes(), the table the mux is built from, so a new handler without documentation (or
// documentation of a removed handler) fails here.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %q, want a 3.x document", doc.OpenAPI)
	}

	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	served := map[string]api.Route{}
	for _, r := range api.Routes() {
		served[r.Method+" "+r.Path] = r
	}

	for key, r := range served {
		op, ok := documented[key]
		if !ok {
			t.Errorf("%s is served but not documented in docs/api/openapi.yaml", key)
			continue
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", key)
		}
		if _, ok := op.Responses["200"]; !ok {
			t.Errorf("%s: no 200 response documented", key)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != r.Public {
			t.Errorf("%s: documented as public=%v, served as public=%v", key, public, r.Public)
		}
		for _, code := range []string{"401", "403", "429"} {
			if _, ok := op.Responses[code]; !r.Public && !ok {
				t.Errorf("%s: needs a token but documents no %s", key, code)
			}
		}
		if op.Scope != string(r.Scope) {
			t.Errorf("%s: documents x-scope %q, served with scope %q", key, op.Scope, r.Scope)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			t.Errorf("%s is documented in docs/api/openapi.yaml but not served", key)
		}
	}
	keys := make([]string, 0, len(served))
	for k := range served {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t.Logf("%d routes checked: %s", len(keys), strings.Join(keys, ", "))
}

package api_test

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// limitsSchema is the part of a schema this test reads.
type limitsSchema struct {
	MaxLength     *int64                  `json:"maxLength"`
	Minimum       *int64                  `json:"minimum"`
	Maximum       *int64                  `json:"maximum"`
	Default       any                     `json:"default"`
	MinItems      *int64                  `json:"minItems"`
	MaxItems      *int64                  `json:"maxItems"`
	MaxProperties *int64                  `json:"maxProperties"`
	Properties    map[string]limitsSchema `json:"properties"`
}

// TestOpenAPILimitsMatchConstants: docs/api/openapi.yaml writes every documented limit as a literal;
// each must equal the one Go constant the server enforces.
func TestOpenAPILimitsMatchConstants(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string       `json:"name"`
				Schema limitsSchema `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]limitsSchema `json:"schemas"`
		} `json:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got *int64, want int64, name string) {
		t.Helper()
		if got == nil {
			t.Errorf("%s is not documented; want %s (%d)", what, name, want)
		} else if *got != want {
			t.Errorf("%s is %d in openapi.yaml, but %s is %d", what, *got, name, want)
		}
	}

	var limit *limitsSchema
	for _, p := range doc.Paths["/v1/leads"]["get"].Parameters {
		if p.Name == "limit" {
			limit = &p.Schema
		}
	}
	if limit == nil {
		t.Fatal("GET /v1/leads documents no limit parameter")
	}
	check("GET /v1/leads limit maximum", limit.Maximum, api.MaxPageSize, "api.MaxPageSize")
	if d, ok := limit.Default.(float64); !ok || d != api.DefaultPageSize {
		t.Errorf("GET /v1/leads limit default is %v in openapi.yaml, but api.DefaultPageSize is %d", limit.Default, api.DefaultPageSize)
	}
	check("GET /v1/leads limit minimum", limit.Minimum, 1, "the smallest page")

	schemas := doc.Components.Schemas
	check("BatchRequest.leads maxItems", schemas["BatchRequest"].Properties["leads"].MaxItems, api.MaxBatchSize, "api.MaxBatchSize")

	in := schemas["LeadInput"].Properties
	for field, want := range map[string]struct {
		limit int64
		name  string
	}{
		"externalId": {validate.MaxIDLength, "validate.MaxIDLength"},
		"email":      {validate.MaxEmailLength, "validate.MaxEmailLength"},
		"name":       {validate.MaxNameLength, "validate.MaxNameLength"},
		"company":    {validate.MaxShortText, "validate.MaxShortText"},
		"domain":     {validate.MaxDomainLength, "validate.MaxDomainLength"},
		"country":    {validate.MaxShortText, "validate.MaxShortText"},
		"industry":   {validate.MaxShortText, "validate.MaxShortText"},
		"source":     {validate.MaxShortText, "validate.MaxShortText"},
		"campaign":   {validate.MaxShortText, "validate.MaxShortText"},
	} {
		check("LeadInput."+field+" maxLength", in[field].MaxLength, want.limit, want.name)
	}
	check("LeadInput.score maximum", in["score"].Maximum, validate.MaxScore, "validate.MaxScore")
	check("LeadInput.attributes maxProperties", in["attributes"].MaxProperties, validate.MaxAttributes, "validate.MaxAttributes")
	check("ActivityRequest.reason maxLength", schemas["ActivityRequest"].Properties["reason"].MaxLength, lead.MaxReasonLength, "lead.MaxReasonLength")
	acct := schemas["AccountRequest"].Properties
	check("AccountRequest.name maxLength", acct["name"].MaxLength, validate.MaxShortText, "validate.MaxShortText")
	check("AccountRequest.owner maxLength", acct["owner"].MaxLength, validate.MaxShortText, "validate.MaxShortText")
	check("AccountRequest.companyName maxLength", acct["companyName"].MaxLength, validate.MaxShortText, "validate.MaxShortText")
	check("AccountRequest.domains maxItems", acct["domains"].MaxItems, validate.MaxAccountDomains, "validate.MaxAccountDomains")
}

// TestLimitsWithinTheStore: what the API accepts in one request, the store accepts in one call.
func TestLimitsWithinTheStore(t *testing.T) {
	if api.MaxBatchSize > store.MaxBatchSize {
		t.Errorf("api.MaxBatchSize %d is over store.MaxBatchSize %d", api.MaxBatchSize, store.MaxBatchSize)
	}
	if api.MaxPageSize > store.MaxPageSize || api.DefaultPageSize > api.MaxPageSize {
		t.Errorf("page sizes: api default %d, api max %d, store max %d", api.DefaultPageSize, api.MaxPageSize, store.MaxPageSize)
	}
}

package api_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestOpenAPISchemasMatchTypes keeps the documented bodies in step with the Go types the handlers
// encode and decode: a field added to lead.Lead (or any body) must be documented, and vice versa.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"Lead":            lead.Lead{},
		"LeadInput":       store.LeadInput{},
		"AuditEvent":      store.AuditEvent{},
		"LeadWithAudit":   api.LeadWithAudit{},
		"BatchRequest":    api.BatchRequest{},
		"BatchResponse":   api.BatchResponse{},
		"ActivityRequest": api.ActivityRequest{},
		"AccountRequest":  api.AccountRequest{},
		"Account":         store.Account{},
		"Page":            store.Page{},
		"EventsPage":      api.EventsPage{},
		"Error":           api.ErrorBody{},
		"FieldError":      fielderr.Error{},
		"CRMResult":       crm.Result{},
	} {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s is not documented", name)
			continue
		}
		var documented []string
		for p := range schema.Properties {
			documented = append(documented, p)
		}
		slices.Sort(documented)
		if got, want := strings.Join(documented, ","), strings.Join(jsonFields(reflect.TypeOf(v)), ","); got != want {
			t.Errorf("schema %s documents\n  %s\nbut the Go type has\n  %s", name, got, want)
		}
	}
}

// jsonFields returns the sorted JSON names of a struct's encoded fields.
func jsonFields(typ reflect.Type) []string {
	var names []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

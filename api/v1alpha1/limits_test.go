package v1alpha1_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
)

// The CRDs' validation markers must be literals, so a limit the controller also enforces in Go is
// written twice. These tests hold each marker, as generated into config/crd/bases (kept current by
// hack/verify), to the one Go constant.

// TestExpressionMaxLength: every CEL expression field admits exactly what celenv compiles.
func TestExpressionMaxLength(t *testing.T) {
	for _, f := range []struct{ crd, path string }{
		{"leadpolicies", "spec.selector"},
		{"leadpolicies", "spec.qualification.expression"},
		{"leadpolicies", "spec.rules[].when"},
		{"teamgoals", "spec.filter"},
	} {
		p := crdProperty(t, f.crd, f.path)
		if p.MaxLength == nil || *p.MaxLength != celenv.MaxExpressionLength {
			t.Errorf("%s %s: maxLength %v, want celenv.MaxExpressionLength (%d)", f.crd, f.path, deref(p.MaxLength), celenv.MaxExpressionLength)
		}
	}
}

// TestGrowthPercentBounds: the API server admits exactly the growth targets the goal maths accepts.
func TestGrowthPercentBounds(t *testing.T) {
	p := crdProperty(t, "teamgoals", "spec.target.growthPercent")
	if p.Minimum == nil || *p.Minimum != goals.MinGrowthPercent {
		t.Errorf("growthPercent minimum %v, want goals.MinGrowthPercent (%d)", p.Minimum, goals.MinGrowthPercent)
	}
	if p.Maximum == nil || *p.Maximum != goals.MaxGrowthPercent {
		t.Errorf("growthPercent maximum %v, want goals.MaxGrowthPercent (%d)", p.Maximum, goals.MaxGrowthPercent)
	}
}

// TestQualificationReasonFitsALead: the gate's reason becomes a disqualified lead's reason, so it
// must fit lead.MaxReasonLength (it is shorter on purpose: it is read in kubectl output).
func TestQualificationReasonFitsALead(t *testing.T) {
	p := crdProperty(t, "leadpolicies", "spec.qualification.reason")
	if p.MaxLength == nil || *p.MaxLength > lead.MaxReasonLength {
		t.Errorf("qualification.reason maxLength %v, want at most lead.MaxReasonLength (%d)", deref(p.MaxLength), lead.MaxReasonLength)
	}
}

// crdProperty returns the schema of a dotted field path ("spec.rules[].when": [] steps into a
// list's items) in the served version of config/crd/bases/leadops.io_<plural>.yaml.
func crdProperty(t *testing.T, plural, path string) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "leadops.io_"+plural+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Schema == nil {
		t.Fatalf("%s: want one version with a schema", plural)
	}
	s := *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	for _, step := range strings.Split(path, ".") {
		name, list := strings.CutSuffix(step, "[]")
		next, ok := s.Properties[name]
		if !ok {
			t.Fatalf("%s: no field %s (at %s)", plural, path, name)
		}
		s = next
		if list {
			if s.Items == nil || s.Items.Schema == nil {
				t.Fatalf("%s: %s is not a list", plural, name)
			}
			s = *s.Items.Schema
		}
	}
	return s
}

func deref(p *int64) any {
	if p == nil {
		return "unset"
	}
	return *p
}

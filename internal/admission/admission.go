// Package admission applies leadops' CustomResourceDefinitions to an object the way kube-apiserver
// admits a create: strict decoding (unknown fields), pruning, defaults, then the structural schema
// (types, enums, patterns, formats, bounds), list-type invariants and every x-kubernetes-validations CEL
// rule, with the API server's own messages. It calls the code kube-apiserver runs for custom resources
// (k8s.io/apiextensions-apiserver) step by step, in the order of its CRD handler and strategy; it
// re-implements no rule. No cluster is needed: `leadctl validate` uses it offline.
package admission

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/operation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/config/crd"
)

// Kind is one served version of a custom resource, ready to admit objects.
type Kind struct {
	GVK        schema.GroupVersionKind
	Plural     string
	Namespaced bool

	structural *structuralschema.Structural // defaults pruned, as the CRD handler keeps it
	schema     apiservervalidation.SchemaValidator
	statusSub  bool
	celOnce    sync.Once
	cel        *cel.Validator // compiled on first use: rule compilation is the costly part
}

// Set is the custom resources of some CRDs, by group, version and kind.
type Set struct {
	kinds  map[schema.GroupVersionKind]*Kind
	groups map[string]bool
}

var (
	leadopsOnce sync.Once
	leadopsSet  *Set
	leadopsErr  error
)

// Leadops returns the set built from the CRDs embedded from config/crd/bases.
func Leadops() (*Set, error) {
	leadopsOnce.Do(func() {
		var docs [][]byte
		names, err := fs.Glob(crd.Bases, "bases/*.yaml")
		if err != nil {
			leadopsErr = err
			return
		}
		sort.Strings(names)
		for _, n := range names {
			raw, err := crd.Bases.ReadFile(n)
			if err != nil {
				leadopsErr = err
				return
			}
			docs = append(docs, raw)
		}
		leadopsSet, leadopsErr = NewSet(docs...)
	})
	return leadopsSet, leadopsErr
}

// NewSet builds the served versions of the CRDs given as YAML or JSON documents.
func NewSet(crds ...[]byte) (*Set, error) {
	s := &Set{kinds: map[schema.GroupVersionKind]*Kind{}, groups: map[string]bool{}}
	for _, raw := range crds {
		def := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(raw, def); err != nil {
			return nil, fmt.Errorf("reading a CustomResourceDefinition: %w", err)
		}
		apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(def)
		s.groups[def.Spec.Group] = true
		for _, v := range def.Spec.Versions {
			if !v.Served || v.Schema == nil {
				continue
			}
			k, err := newKind(def, v)
			if err != nil {
				return nil, fmt.Errorf("CRD %s version %s: %w", def.Name, v.Name, err)
			}
			s.kinds[k.GVK] = k
		}
	}
	return s, nil
}

// newKind prepares one version as the CRD handler does (customresource_handler.go): the structural
// schema with its defaults pruned, and the OpenAPI schema validator.
func newKind(def *apiextensionsv1.CustomResourceDefinition, v apiextensionsv1.CustomResourceDefinitionVersion) (*Kind, error) {
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema: %w", err)
	}
	ss, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not structural: %w", err)
	}
	ss = ss.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(ss); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	return &Kind{
		GVK:        schema.GroupVersionKind{Group: def.Spec.Group, Version: v.Name, Kind: def.Spec.Names.Kind},
		Plural:     def.Spec.Names.Plural,
		Namespaced: def.Spec.Scope == apiextensionsv1.NamespaceScoped,
		structural: ss,
		schema:     validator,
		statusSub:  v.Subresources != nil && v.Subresources.Status != nil,
	}, nil
}

// Group reports whether some CRD of the set is in the API group.
func (s *Set) Group(group string) bool { return s.groups[group] }

// Kind returns the served kind, or nil.
func (s *Set) Kind(gvk schema.GroupVersionKind) *Kind { return s.kinds[gvk] }

// Kinds lists the served kinds, sorted by kind then version.
func (s *Set) Kinds() []*Kind {
	out := make([]*Kind, 0, len(s.kinds))
	for _, k := range s.kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].GVK.Kind != out[j].GVK.Kind {
			return out[i].GVK.Kind < out[j].GVK.Kind
		}
		return out[i].GVK.Version < out[j].GVK.Version
	})
	return out
}

// Result is what admission made of an object.
type Result struct {
	// Object is the object as it would be stored: unknown fields pruned, defaults applied, status
	// dropped (the status subresource owns it).
	Object *unstructured.Unstructured
	// UnknownFields are the paths of fields the schema does not know, such as "spec.rules[0].team". With
	// kubectl's default (--validate=strict) the API server refuses the object for each: `unknown field
	// "spec.rules[0].team"`; with --validate=false it drops them silently.
	UnknownFields []string
	// Errors are the API server's refusals (422 Invalid), each "path: message" as it prints them.
	Errors field.ErrorList
}

// Admit runs the create path of kube-apiserver for obj, whose namespace must already be set for a
// namespaced kind (kubectl fills it in from the context). obj is not modified.
func (k *Kind) Admit(ctx context.Context, obj *unstructured.Unstructured) *Result {
	u := obj.DeepCopy()
	res := &Result{Object: u}

	// Decoding: schemaCoercingDecoder + unstructuredSchemaCoercer, then the codec's defaulter.
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		res.Errors = append(res.Errors, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
		return res
	}
	res.UnknownFields = append(res.UnknownFields, metaUnknown...)
	apiVersion, kind := u.GetAPIVersion(), u.GetKind()
	res.UnknownFields = append(res.UnknownFields, structuralpruning.PruneWithOptions(u.Object, k.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, k.structural)
	if ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, k.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); ferr != nil {
		res.Errors = append(res.Errors, ferr)
		return res
	} else {
		res.UnknownFields = append(res.UnknownFields, paths...)
	}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			res.Errors = append(res.Errors, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
			return res
		}
	}
	structuraldefaulting.Default(u.Object, k.structural)

	// PrepareForCreate: a create cannot set status.
	if k.statusSub {
		delete(u.Object, "status")
	}

	// customResourceStrategy.Validate.
	var errs field.ErrorList
	meta := &metav1.ObjectMeta{}
	if raw, ok := u.Object["metadata"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, meta); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("metadata"), raw, err.Error()))
		}
	}
	errs = append(errs, apimachineryvalidation.ValidateObjectMetaDeclaratively(ctx, operation.Create, meta, nil, k.Namespaced,
		apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"), utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidationBeta))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), k.schema)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, u.Object, k.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, k.structural, u.Object)...)
	if blocked, why := hasBlockingErr(errs); blocked {
		errs = append(errs, why)
	} else {
		k.celOnce.Do(func() { k.cel = cel.NewValidator(k.structural, true, celconfig.PerCallLimit) })
		if k.cel != nil {
			celErrs, _ := k.cel.Validate(ctx, nil, k.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	res.Errors = errs
	return res
}

// hasBlockingErr is the strategy's: errors after which the CEL rules are not run.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, err := range errs {
		if err.Type == field.ErrorTypeNotSupported || err.Type == field.ErrorTypeRequired || err.Type == field.ErrorTypeTooLong || err.Type == field.ErrorTypeTooMany || err.Type == field.ErrorTypeTypeInvalid {
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}

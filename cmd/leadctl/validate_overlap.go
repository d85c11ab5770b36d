package main

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/policy"
)

// overlapSampleSize bounds the leads generated to look for an overlap between two selectors.
const overlapSampleSize = 4096

// overlappingPolicies warns of two policies of equal priority whose selectors can both select one lead:
// the tie goes to the policy whose namespace/name sorts first, which is rarely what the author meant.
// Detection: identical selector text (blanks ignored), an empty selector on either side (it selects
// every lead), or a lead of a generated sample that both select. The sample is built from the
// constants the two selectors compare with (and their neighbours: 59, 60 and 61 for `>= 60`), so it
// finds overlaps of ordinary selectors; it proves nothing when it finds none.
func overlappingPolicies(objects []*object, compiled map[*object]*policy.Compiled) []diagnostic {
	var ps []*object
	for _, o := range objects {
		if o.policy != nil && compiled[o] != nil {
			ps = append(ps, o)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].key() < ps[j].key() })
	var out []diagnostic
	for j := range ps {
		for i := 0; i < j; i++ {
			a, b := ps[i], ps[j]
			if a.policy.Spec.Priority != b.policy.Spec.Priority {
				continue
			}
			why, ok := selectorsOverlap(string(a.policy.Spec.Selector), string(b.policy.Spec.Selector), compiled[a].Selector, compiled[b].Selector)
			if !ok {
				continue
			}
			path := "spec.selector"
			if b.policy.Spec.Selector == "" {
				path = "spec"
			}
			if at, _ := b.doc.locate("spec.priority"); at != nil && at.Value == "priority" {
				path = "spec.priority"
			}
			out = append(out, b.diag(path, sevWarning, checkOverlap, fmt.Sprintf(
				"%s: policies %q and %q both have priority %d and %s; such a lead goes to %q (ties go to namespace/name order): give one of them a higher priority",
				path, a.key(), b.key(), b.policy.Spec.Priority, why, a.key())))
			break
		}
	}
	return out
}

// selectorsOverlap says why two selectors can select the same lead, if they can.
func selectorsOverlap(srcA, srcB string, a, b *celenv.Program) (string, bool) {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	switch {
	case srcA == "" && srcB == "":
		return "neither has a selector (both select every lead)", true
	case srcA == "" || srcB == "":
		return "one of them has no selector (it selects every lead)", true
	case norm(srcA) == norm(srcB):
		return "identical selectors", true
	case a == nil || b == nil:
		return "", false
	}
	h := newHints()
	h.collect(srcA)
	h.collect(srcB)
	for _, l := range h.sample() {
		if ok, err := a.Eval(l.lead); err != nil || !ok {
			continue
		}
		if ok, err := b.Eval(l.lead); err == nil && ok {
			return "both select, for example, a lead with " + l.describe(), true
		}
	}
	return "", false
}

// hints are what the selectors look at: the lead's fields and attribute keys they read, and the
// constants they compare with.
type hints struct {
	fields  map[string]bool // CEL field names of the lead ("score")
	attrs   map[string]bool // attribute keys
	strs    map[string]bool
	nums    map[float64]bool
	leadTyp reflect.Type
}

func newHints() *hints {
	return &hints{fields: map[string]bool{}, attrs: map[string]bool{}, strs: map[string]bool{}, nums: map[float64]bool{},
		leadTyp: reflect.TypeOf(celenv.Lead{})}
}

// collect parses src (it compiled already) and records what it reads and the constants it holds.
func (h *hints) collect(src string) {
	env, err := celenv.Env()
	if err != nil {
		return
	}
	ast, iss := env.Parse(src)
	if iss.Err() != nil {
		return
	}
	isLead := func(e celast.Expr) bool { return e.Kind() == celast.IdentKind && e.AsIdent() == "lead" }
	isAttrs := func(e celast.Expr) bool {
		return e.Kind() == celast.SelectKind && e.AsSelect().FieldName() == "attributes" && isLead(e.AsSelect().Operand())
	}
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.SelectKind:
			s := e.AsSelect()
			switch {
			case isLead(s.Operand()):
				h.fields[s.FieldName()] = true
			case isAttrs(s.Operand()):
				h.attrs[s.FieldName()] = true
			}
		case celast.CallKind:
			c := e.AsCall()
			if c.FunctionName() == "_[_]" && len(c.Args()) == 2 && isAttrs(c.Args()[0]) && c.Args()[1].Kind() == celast.LiteralKind {
				if s, ok := c.Args()[1].AsLiteral().(types.String); ok {
					h.attrs[string(s)] = true
				}
			}
		case celast.LiteralKind:
			switch v := e.AsLiteral().(type) {
			case types.String:
				h.strs[string(v)] = true
			case types.Int:
				h.nums[float64(v)] = true
			case types.Uint:
				h.nums[float64(v)] = true
			case types.Double:
				h.nums[float64(v)] = true
			}
		}
	}))
}

// dimension is one field of the generated leads and the values it takes.
type dimension struct {
	name   string // "score", "attributes.plan"
	values []any  // nil in values means "absent" for an attribute
}

// sample generates leads over the fields the selectors read, each taking the constants of its type
// and their neighbours: every combination when there are at most overlapSampleSize, else that many
// drawn with a fixed seed, so the result is the same on every run.
func (h *hints) sample() []sampleLead {
	strs := sortedKeys(h.strs)
	var nums []float64
	for n := range h.nums {
		nums = append(nums, n-1, n, n+1)
	}
	nums = append(nums, 0)
	sort.Float64s(nums)
	nums = uniqueFloats(nums)

	var dims []dimension
	for _, f := range sortedKeys(h.fields) {
		sf, ok := celField(h.leadTyp, f)
		if !ok {
			continue
		}
		var vals []any
		switch sf.Type.Kind() {
		case reflect.String:
			vals = append(vals, "", "other")
			for _, s := range strs {
				vals = append(vals, s)
				if f == "email" {
					vals = append(vals, "someone@"+s)
				}
			}
		case reflect.Int64:
			for _, n := range nums {
				vals = append(vals, int64(n))
			}
		case reflect.Float64:
			for _, n := range nums {
				vals = append(vals, n)
			}
		default:
			continue
		}
		dims = append(dims, dimension{name: f, values: uniqueAny(vals)})
	}
	for _, k := range sortedKeys(h.attrs) {
		vals := []any{nil, true, false}
		for _, s := range strs {
			vals = append(vals, s)
		}
		for _, n := range nums {
			vals = append(vals, n)
		}
		dims = append(dims, dimension{name: "attributes." + k, values: uniqueAny(vals)})
	}
	total := 1
	for _, d := range dims {
		total *= len(d.values)
		if total > overlapSampleSize {
			break
		}
	}
	var out []sampleLead
	if total <= overlapSampleSize {
		idx := make([]int, len(dims))
		for range total {
			out = append(out, h.build(dims, idx))
			for k := len(idx) - 1; k >= 0; k-- {
				idx[k]++
				if idx[k] < len(dims[k].values) {
					break
				}
				idx[k] = 0
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	idx := make([]int, len(dims))
	for range overlapSampleSize {
		for k := range idx {
			idx[k] = rng.IntN(len(dims[k].values))
		}
		out = append(out, h.build(dims, idx))
	}
	return out
}

// sampleLead is a generated lead and the values it was given.
type sampleLead struct {
	lead *celenv.Lead
	set  []string
}

func (s sampleLead) describe() string {
	if len(s.set) == 0 {
		return "every field empty"
	}
	return strings.Join(s.set, ", ")
}

func (h *hints) build(dims []dimension, idx []int) sampleLead {
	l := celenv.Lead{CreatedAt: time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)}
	attrs := map[string]any{}
	var set []string
	v := reflect.ValueOf(&l).Elem()
	for k, d := range dims {
		val := d.values[idx[k]]
		if key, ok := strings.CutPrefix(d.name, "attributes."); ok {
			if val != nil {
				attrs[key] = val
				set = append(set, fmt.Sprintf("attributes.%s %s", key, literal(val)))
			}
			continue
		}
		sf, _ := celField(h.leadTyp, d.name)
		v.FieldByIndex(sf.Index).Set(reflect.ValueOf(val))
		if !reflect.ValueOf(val).IsZero() {
			set = append(set, fmt.Sprintf("%s %s", d.name, literal(val)))
		}
	}
	return sampleLead{lead: celenv.NewLead(l, attrs), set: set}
}

func literal(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// celField finds the struct field of the lead whose cel tag is name.
func celField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("cel") == name && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniqueFloats(in []float64) []float64 {
	var out []float64
	for i, x := range in {
		if i == 0 || x != in[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func uniqueAny(in []any) []any {
	seen := map[any]bool{}
	var out []any
	for _, x := range in {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

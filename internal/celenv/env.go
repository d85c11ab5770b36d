// Package celenv is the CEL environment that LeadPolicy and TeamGoal expressions are written against:
// one variable, `lead`, typed after the lead schema, plus the string and list helpers a routing author
// needs. Expressions are compiled once per object generation and evaluated with a cost limit so a hostile
// expression cannot stall the controller.
package celenv

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/leadops/leadops/internal/lead"
)

// CostLimit bounds the work one evaluation may do. Typical rules cost well under 100.
const CostLimit = 100_000

// MaxExpressionLength is the longest expression Compile accepts. The CRD marker on Expression
// (api/v1alpha1) must be a literal; a test there holds it equal to this.
const MaxExpressionLength = 4096

// Lead is the CEL view of a lead: `lead.score`, `lead.domain`, `lead.attributes["plan"]`, …
// Field names follow the HTTP API's JSON names.
type Lead struct {
	ID         string    `cel:"id"`
	ExternalID string    `cel:"externalId"`
	Email      string    `cel:"email"`
	Company    string    `cel:"company"`
	Domain     string    `cel:"domain"`
	Country    string    `cel:"country"`
	Industry   string    `cel:"industry"`
	Employees  int64     `cel:"employees"`
	Source     string    `cel:"source"`
	Campaign   string    `cel:"campaign"`
	Score      int64     `cel:"score"`
	Stage      string    `cel:"stage"`
	Owner      string    `cel:"owner"`
	Team       string    `cel:"team"`
	CreatedAt  time.Time `cel:"createdAt"`
	Amount     float64   `cel:"amount"`

	// attributes is served as `lead.attributes` by attributesProvider: CEL's native types cannot
	// describe a map of arbitrary JSON values, so the field is added by hand as map(string, dyn).
	attributes map[string]any
}

const leadTypeName = "celenv.Lead"

type attributesProvider struct{ types.Provider }

func (p attributesProvider) FindStructFieldNames(structType string) ([]string, bool) {
	names, ok := p.Provider.FindStructFieldNames(structType)
	if ok && structType == leadTypeName {
		names = append(names, "attributes")
	}
	return names, ok
}

func (p attributesProvider) FindStructFieldType(structType, fieldName string) (*types.FieldType, bool) {
	if structType != leadTypeName || fieldName != "attributes" {
		return p.Provider.FindStructFieldType(structType, fieldName)
	}
	get := func(obj any) map[string]any {
		switch l := obj.(type) {
		case *Lead:
			return l.attributes
		case Lead:
			return l.attributes
		}
		return nil
	}
	return &types.FieldType{
		Type:  cel.MapType(cel.StringType, cel.DynType),
		IsSet: func(obj any) bool { return len(get(obj)) > 0 },
		GetFrom: func(obj any) (any, error) {
			if a := get(obj); a != nil {
				return a, nil
			}
			return map[string]any{}, nil
		},
	}, true
}

func withAttributes(env *cel.Env) (*cel.Env, error) {
	return cel.CustomTypeProvider(attributesProvider{env.CELTypeProvider()})(env)
}

// FromLead builds the CEL view of a stored lead.
func FromLead(l *lead.Lead) *Lead {
	attrs := l.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return &Lead{
		ID: l.ID, ExternalID: l.ExternalID, Email: l.Email, Company: l.Company, Domain: l.Domain,
		Country: l.Country, Industry: l.Industry, Employees: l.Employees, Source: l.Source,
		Campaign: l.Campaign, Score: l.Score, Stage: string(l.Stage), Owner: l.Owner, Team: l.Team,
		attributes: attrs, CreatedAt: l.CreatedAt, Amount: l.Amount,
	}
}

var (
	envOnce sync.Once
	envVal  *cel.Env
	envErr  error
)

// Env returns the shared, immutable CEL environment.
func Env() (*cel.Env, error) {
	envOnce.Do(func() {
		envVal, envErr = cel.NewEnv(
			ext.NativeTypes(reflect.TypeOf(&Lead{}), ext.ParseStructTags(true)),
			withAttributes,
			cel.Variable("lead", cel.ObjectType(leadTypeName)),
			ext.Strings(),
			ext.Lists(),
			ext.Sets(),
			cel.Function("emailDomain",
				cel.Overload("emailDomain_string", []*cel.Type{cel.StringType}, cel.StringType,
					cel.UnaryBinding(emailDomain))),
			cel.Function("domainOf",
				cel.MemberOverload("string_domainOf", []*cel.Type{cel.StringType}, cel.StringType,
					cel.UnaryBinding(emailDomain))),
		)
	})
	return envVal, envErr
}

// emailDomain returns the lower-cased part after the last '@', or the input itself when it has none,
// so `emailDomain(lead.email) == lead.domain` works for both emails and bare domains.
func emailDomain(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	str := strings.ToLower(strings.TrimSpace(string(s)))
	if i := strings.LastIndexByte(str, '@'); i >= 0 {
		str = str[i+1:]
	}
	return types.String(str)
}

// NewLead builds a CEL lead directly; tests and tools use it where no stored lead exists.
func NewLead(l Lead, attributes map[string]any) *Lead {
	l.attributes = attributes
	return &l
}

// Program is a compiled boolean expression.
type Program struct {
	Source string
	prg    cel.Program
}

// Compile parses and type-checks expr; it must yield a bool. The error text is the compiler's own,
// which names line and column, so a person can fix the YAML from it.
func Compile(expr string) (*Program, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("expression is empty")
	}
	if len(expr) > MaxExpressionLength {
		return nil, fmt.Errorf("expression is %d characters long, the limit is %d", len(expr), MaxExpressionLength)
	}
	env, err := Env()
	if err != nil {
		return nil, fmt.Errorf("building CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, errors.New(strings.TrimSpace(iss.Err().Error()))
	}
	if !ast.OutputType().IsExactType(cel.BoolType) && ast.OutputType() != cel.DynType {
		return nil, fmt.Errorf("expression must evaluate to a bool, not %s", ast.OutputType())
	}
	est, err := env.EstimateCost(ast, leadSizes{})
	if err != nil {
		return nil, fmt.Errorf("estimating the expression's cost: %w", err)
	}
	if est.Max > CostLimit {
		return nil, &CostError{Max: est.Max}
	}
	prg, err := env.Program(ast, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("planning expression: %w", err)
	}
	return &Program{Source: expr, prg: prg}, nil
}

// Eval runs the program on one lead. A missing attribute or any other runtime error is returned, never
// panicked, so callers can count it and move on to the next rule.
func (p *Program) Eval(l *Lead) (bool, error) {
	out, _, err := p.prg.Eval(map[string]any{"lead": l})
	if err != nil {
		return false, errors.New(redact(err.Error(), p.Source))
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("expression returned %s, not a bool", out.Type())
	}
	return b, nil
}

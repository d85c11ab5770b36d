package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/admission"
)

const validateHelp = `Checks LeadPolicies, Teams and TeamGoals before they are applied, without a cluster or a store:

  1. as the API server admits them: the CRDs of this leadctl (config/crd/bases, embedded) with
     kube-apiserver's own code: unknown fields (kubectl's --validate=strict), defaults, types, enums,
     patterns, formats, bounds, list keys and every x-kubernetes-validations rule, with its messages;
  2. as the controller reads them, where it would report Ready=False: every CEL expression compiles
     against the lead schema within the cost limit (InvalidExpression), every teamRef names a Team of
     the set in the same namespace (TeamNotFound; --cluster also looks in the cluster), timezones,
     holidays and out-of-office times parse, goal periods and targets resolve;
  3. warnings for what is valid but most likely not meant:
     - two policies of equal priority whose selectors overlap: identical text, an empty selector, or a
       lead of a generated sample (built from the constants the two selectors compare with) that both
       select; the one whose namespace/name sorts last loses such leads, so it gets the warning;
     - a rule after a rule that matches every lead (no "when", or "true") and keeps it (any strategy
       but AccountOwner, which passes a lead on when its account's owner cannot take it), or after a
       rule with the same "when" that keeps it: it can never match;
     - a team none of whose members can take a lead between --at and --at + --window (all
       "available: false" or out of office throughout), or with no members while a policy routes to it;
     - a wall-clock SLA target ("clock: WallClock") shorter than the longest time between two working
       blocks of a team the policy routes to, over that window (the team's working hours, holidays and
       timezone, as its business-hours clock counts them): a lead routed as the team stops work
       breaches before anyone is back. Business-hours targets stop their clock between blocks.

PATH is a file or a directory (read recursively: *.yaml, *.yml, *.json; kustomization files are
skipped), and "-" reads standard input, so kustomize output can be piped in:

  leadctl validate config/samples
  kubectl kustomize config/overlays/prod | leadctl validate -f -
  leadctl validate --cluster -o json policies/

Objects of other API groups are skipped. An object without a namespace is in --namespace. Each
problem is printed as "path:line:col: error|warning: message", the position being the field's in the
YAML; -o json prints them for bots. Exit status: 0 when there are no errors, 1 when there are (or
warnings, with --strict), 2 for a usage error such as a path that does not exist.`

// Severities and the checks that produce diagnostics.
const (
	sevError   = "error"
	sevWarning = "warning"

	checkSyntax     = "syntax"     // YAML that does not parse, or is not an object
	checkStrict     = "strict"     // an unknown field, refused by kubectl's --validate=strict
	checkSchema     = "schema"     // the CRD's schema and x-kubernetes-validations, as the API server
	checkController = "controller" // what the controller reports as Ready=False
	checkReference  = "reference"  // teamRefs
	checkOverlap    = "overlap"
	checkRules      = "unreachable"
	checkTeam       = "availability"
	checkSLA        = "sla-gap"
	checkSet        = "duplicate"
)

// diagnostic is one problem found, at the position of its field in the YAML.
type diagnostic struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Check     string `json:"check"`
	// Reason is the Ready condition's reason the controller would report, for controller checks.
	Reason string `json:"reason,omitempty"`
}

func (d diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Column, d.Severity, d.Message)
}

// pathsFlag collects the repeatable -f.
type pathsFlag []string

func (s *pathsFlag) String() string     { return strings.Join(*s, ",") }
func (s *pathsFlag) Set(v string) error { *s = append(*s, v); return nil }

// validateOptions are validate's flags.
type validateOptions struct {
	output     string
	strict     bool
	cluster    bool
	kubeconfig string
	context    string
	namespace  string
	at         time.Time
	window     time.Duration
}

func runValidate(ctx context.Context, e env, _ *conn, args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var files pathsFlag
	var o validateOptions
	var at string
	fs.Var(&files, "f", "a file or directory to validate, or - for standard input (repeatable; same as a PATH argument)")
	fs.StringVar(&o.output, "o", "text", "output format: text (path:line:col: severity: message) or json")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 on warnings too")
	fs.BoolVar(&o.cluster, "cluster", false, "also look up teamRefs that the files do not define in the cluster of the kubeconfig")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig for --cluster and the default namespace (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&o.context, "context", "", "kubeconfig context (default: the current one)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace of objects that name none (default: the kubeconfig context's namespace with\n--cluster, else \"default\")")
	fs.StringVar(&at, "at", "", "check availability and working-time gaps as of this RFC 3339 time (default: now)")
	fs.DurationVar(&o.window, "window", 28*24*time.Hour, "how far ahead of --at availability and working-time gaps are checked")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	paths := append([]string(files), pos...)
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "%s validate: %s\n", progName, fmt.Sprintf(format, args...))
		return exitUsage
	}
	if len(paths) == 0 {
		return usageErr("give at least one file or directory (or -f - for standard input)")
	}
	if o.output != "text" && o.output != "json" {
		return usageErr("-o: %q is not an output format (text or json)", o.output)
	}
	o.at = time.Now()
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return usageErr("--at: %q is not an RFC 3339 time such as 2027-02-01T09:00:00Z", at)
		}
		o.at = t
	}
	if o.window <= 0 {
		return usageErr("--window must be positive")
	}
	inputs, err := readInputs(paths, e.stdin)
	if err != nil {
		return usageErr("%v", err)
	}
	if o.namespace == "" {
		o.namespace = "default"
		if o.cluster {
			ns, err := clusterNamespace(e, o)
			if err != nil {
				return usageErr("--cluster: %v", err)
			}
			o.namespace = ns
		}
	}
	var lookup teamLookup
	if o.cluster {
		if lookup, err = clusterTeams(e, o); err != nil {
			return usageErr("--cluster: %v", err)
		}
	}
	rep, err := validateInputs(ctx, inputs, o, lookup)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s validate: %v\n", progName, err)
		return exitError
	}
	rep.write(e, o.output)
	if rep.Errors > 0 || (o.strict && rep.Warnings > 0) {
		return exitError
	}
	return exitOK
}

// input is one file's content (or standard input's).
type input struct {
	name string
	data []byte
}

// readInputs reads the files and, recursively, the directories named (in lexical order), and "-" as
// standard input (once).
func readInputs(paths []string, stdin io.Reader) ([]input, error) {
	var out []input
	stdinRead := false
	for _, p := range paths {
		if p == "-" {
			if stdinRead {
				continue
			}
			stdinRead = true
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			out = append(out, input{name: "<stdin>", data: data})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("the path %q does not exist", p)
			}
			return nil, err
		}
		if !st.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, input{name: p, data: data})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !manifestFile(d.Name()) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out = append(out, input{name: path, data: data})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// manifestFile reports whether a file in a directory is read: YAML or JSON, but not a kustomization
// (its resources are files of the directory already; pipe `kustomize build` in for its output).
func manifestFile(name string) bool {
	switch name {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// object is a leadops object of the set, as admission left it.
type object struct {
	doc       *yamlDoc
	gvk       schema.GroupVersionKind
	namespace string
	name      string
	admitted  *unstructured.Unstructured // pruned and defaulted
	refused   bool                       // the API server would refuse it

	policy *leadopsv1.LeadPolicy
	team   *leadopsv1.Team
	goal   *leadopsv1.TeamGoal
	exp    *leadopsv1.LeadExperiment
}

func (o *object) key() string { return o.namespace + "/" + o.name }

// diag is a diagnostic at a field of the object.
func (o *object) diag(path, sev, check, msg string) diagnostic {
	d := o.doc.fieldDiag(path, sev, check, msg)
	o.label(&d)
	return d
}

func (o *object) label(d *diagnostic) {
	d.Kind, d.Namespace, d.Name = o.gvk.Kind, o.namespace, o.name
}

// report is the outcome of a run.
type report struct {
	Files       int          `json:"files"`
	Objects     int          `json:"objects"`
	Skipped     int          `json:"skipped"`
	Errors      int          `json:"errors"`
	Warnings    int          `json:"warnings"`
	Diagnostics []diagnostic `json:"diagnostics"`
}

func (r *report) add(d ...diagnostic) {
	for _, x := range d {
		if x.Severity == sevError {
			r.Errors++
		} else {
			r.Warnings++
		}
		r.Diagnostics = append(r.Diagnostics, x)
	}
}

func (r *report) write(e env, output string) {
	if output == "json" {
		if r.Diagnostics == nil {
			r.Diagnostics = []diagnostic{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return
	}
	for _, d := range r.Diagnostics {
		fmt.Fprintln(e.stdout, d)
	}
	fmt.Fprintf(e.stderr, "%d %s in %d %s: %d %s, %d %s", r.Objects, plural(r.Objects, "object", "objects"), r.Files,
		plural(r.Files, "file", "files"), r.Errors, plural(r.Errors, "error", "errors"), r.Warnings, plural(r.Warnings, "warning", "warnings"))
	if r.Skipped > 0 {
		fmt.Fprintf(e.stderr, " (%d %s of other API groups skipped)", r.Skipped, plural(r.Skipped, "object", "objects"))
	}
	fmt.Fprintln(e.stderr)
}

// validateInputs runs every check over the objects of the inputs.
func validateInputs(ctx context.Context, inputs []input, o validateOptions, lookup teamLookup) (*report, error) {
	set, err := admission.Leadops()
	if err != nil {
		return nil, fmt.Errorf("loading the embedded CRDs: %w", err)
	}
	rep := &report{Files: len(inputs)}
	var objects []*object
	seen := map[string]*object{}
	objs, diags, skipped := admitInputs(ctx, set, inputs, o.namespace)
	rep.add(diags...)
	rep.Skipped += skipped
	for _, obj := range objs {
		rep.Objects++
		id := obj.gvk.Kind + " " + obj.key()
		if first, dup := seen[id]; dup {
			where := fmt.Sprintf("%s:%d", first.doc.file, first.doc.line)
			if first.doc.file == obj.doc.file {
				where = fmt.Sprintf("line %d", first.doc.line)
			}
			rep.add(obj.diag("metadata.name", sevError, checkSet, fmt.Sprintf("%s %s is defined twice; the other one starts at %s",
				obj.gvk.Kind, obj.key(), where)))
			continue
		}
		seen[id] = obj
		objects = append(objects, obj)
	}
	rep.add(checkObjects(ctx, objects, o, lookup)...)
	sortDiagnostics(rep.Diagnostics)
	return rep, nil
}

// sortDiagnostics puts diagnostics in file, line and column order.
func sortDiagnostics(ds []diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// admit applies the CRDs to one document, as the API server does on `kubectl apply`. It returns nil
// and no diagnostics for an object of another API group.
func admit(ctx context.Context, set *admission.Set, doc *yamlDoc, u *unstructured.Unstructured, defaultNS string) (*object, []diagnostic) {
	gvk := u.GroupVersionKind()
	if u.GetAPIVersion() == "" || gvk.Kind == "" {
		var missing []string
		if u.GetAPIVersion() == "" {
			missing = append(missing, "apiVersion")
		}
		if gvk.Kind == "" {
			missing = append(missing, "kind")
		}
		return nil, []diagnostic{doc.at(firstKey(doc.root), sevError, checkSyntax,
			fmt.Sprintf("not a Kubernetes object: %s not set", strings.Join(missing, " and ")))}
	}
	if !set.Group(gvk.Group) {
		return nil, nil
	}
	kind := set.Kind(gvk)
	if kind == nil {
		at, _ := doc.locate("kind")
		return nil, []diagnostic{doc.at(at, sevError, checkSchema,
			fmt.Sprintf("no matches for kind %q in version %q", gvk.Kind, gvk.GroupVersion().String()))}
	}
	obj := &object{doc: doc, gvk: gvk, name: u.GetName(), namespace: u.GetNamespace()}
	if kind.Namespaced && obj.namespace == "" {
		obj.namespace = defaultNS
		u = u.DeepCopy()
		u.SetNamespace(defaultNS)
	}
	res := kind.Admit(ctx, u)
	obj.admitted = res.Object
	var out []diagnostic
	for _, f := range res.UnknownFields {
		out = append(out, obj.diag(f, sevError, checkStrict, fmt.Sprintf("unknown field %q", f)))
	}
	for _, fe := range res.Errors {
		out = append(out, obj.diag(fe.Field, sevError, checkSchema, fe.Error()))
	}
	obj.refused = len(res.Errors) > 0
	if !obj.refused {
		var into runtime.Object
		switch gvk.Kind {
		case "LeadPolicy":
			obj.policy = &leadopsv1.LeadPolicy{}
			into = obj.policy
		case "Team":
			obj.team = &leadopsv1.Team{}
			into = obj.team
		case "TeamGoal":
			obj.goal = &leadopsv1.TeamGoal{}
			into = obj.goal
		case "LeadExperiment":
			obj.exp = &leadopsv1.LeadExperiment{}
			into = obj.exp
		}
		if into != nil {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(res.Object.Object, into); err != nil {
				out = append(out, obj.diag("", sevError, checkSchema, fmt.Sprintf("cannot read the %s: %v", gvk.Kind, err)))
				obj.policy, obj.team, obj.goal, obj.exp = nil, nil, nil, nil
			}
		}
	}
	return obj, out
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/admission"
	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/router"
)

// objects are the leadops resources `explain` and `scorecard` read: LeadPolicies and Teams to decide a
// lead again, Teams and TeamGoals for goal progress. They come from YAML files (-f) or from the
// cluster of the current kubeconfig context (--cluster); the lead store never holds them.
type objects struct {
	Policies []*leadopsv1.LeadPolicy
	Teams    []*leadopsv1.Team
	Goals    []*leadopsv1.TeamGoal
	// Experiments are read for `experiment report` and the scorecard's experiments section.
	Experiments []*leadopsv1.LeadExperiment
	// From says where they came from, for the output ("config/samples", "the cluster").
	From string
	// sources are the file and line of objects read from files, for messages.
	sources map[client.Object]string
}

// objectFlags are the flags that say where the resources come from.
type objectFlags struct {
	files     stringsFlag
	cluster   bool
	namespace string
}

type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func (o *objectFlags) register(fs *flag.FlagSet, what string) {
	fs.Var(&o.files, "f", "read "+what+" from these YAML files or directories (repeatable; kustomization.yaml is skipped)")
	fs.BoolVar(&o.cluster, "cluster", false, "read "+what+" from the cluster of the current kubeconfig context ($KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace of objects in -f files that name none\n(default: the current kubeconfig context's namespace, else \"default\")")
}

// given reports whether the user said where the resources are.
func (o *objectFlags) given() bool { return len(o.files) > 0 || o.cluster }

// load reads the resources from where the flags say; nil when they say nothing.
func (o *objectFlags) load(ctx context.Context, e env) (*objects, error) {
	switch {
	case len(o.files) > 0 && o.cluster:
		return nil, errors.New("give either -f or --cluster, not both")
	case o.cluster:
		return loadCluster(ctx, e)
	case len(o.files) > 0:
		ns := o.namespace
		if ns == "" {
			ns, _ = kubeNamespace(e)
		}
		return loadFiles(o.files, ns)
	}
	return nil, nil
}

// loadFiles reads every LeadPolicy, Team, TeamGoal and LeadExperiment in the files and directories (recursively,
// multi-document YAML; kustomization.yaml is skipped) with loadObjects; other kinds are skipped.
func loadFiles(paths []string, ns string) (*objects, error) {
	inputs, err := readInputs(paths, strings.NewReader(""))
	if err != nil {
		return nil, err
	}
	out, err := loadObjects(context.Background(), inputs, ns)
	if err != nil {
		return nil, err
	}
	out.From = strings.Join(paths, ", ")
	return out, nil
}

// loadObjects splits the inputs into documents and admits the leadops objects as validate does:
// through the embedded CRDs, with kube-apiserver's own defaulting and validation. An object the API
// server would refuse, or a document that does not parse, is an error with validate's message; other
// API groups are skipped. Objects without a namespace are put in ns; each object's source (file:line)
// is kept for messages. With kinds, objects of other kinds are skipped, whatever the API server
// would make of them.
func loadObjects(ctx context.Context, inputs []input, ns string, kinds ...string) (*objects, error) {
	wants := func(kind string) bool { return len(kinds) == 0 || slices.Contains(kinds, kind) }
	set, err := admission.Leadops()
	if err != nil {
		return nil, fmt.Errorf("loading the embedded CRDs: %w", err)
	}
	objs, diags, _ := admitInputs(ctx, set, inputs, ns)
	sortDiagnostics(diags)
	var problems []string
	for _, d := range diags {
		if d.Severity == sevError && (d.Kind == "" || wants(d.Kind)) {
			problems = append(problems, d.String())
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	out := &objects{sources: map[client.Object]string{}}
	for _, o := range objs {
		if !wants(o.gvk.Kind) {
			continue
		}
		var obj client.Object
		switch {
		case o.policy != nil:
			obj = o.policy
			out.Policies = append(out.Policies, o.policy)
		case o.team != nil:
			obj = o.team
			out.Teams = append(out.Teams, o.team)
		case o.goal != nil:
			obj = o.goal
			out.Goals = append(out.Goals, o.goal)
		case o.exp != nil:
			obj = o.exp
			out.Experiments = append(out.Experiments, o.exp)
		default:
			continue
		}
		if obj.GetGeneration() == 0 {
			obj.SetGeneration(1)
		}
		out.sources[obj] = fmt.Sprintf("%s:%d", o.doc.file, o.doc.line)
	}
	out.sort()
	return out, nil
}

// admitInputs splits every input into its YAML documents as kubectl does, parses them and admits the
// leadops objects through the CRDs of set (objects without a namespace are put in ns). It returns the
// objects in input order, every diagnostic (syntax errors and the API server's refusals) and how many
// documents were of other API groups.
func admitInputs(ctx context.Context, set *admission.Set, inputs []input, ns string) (objs []*object, diags []diagnostic, skipped int) {
	for _, in := range inputs {
		docs, err := splitDocuments(in.name, in.data)
		if err != nil {
			diags = append(diags, diagnostic{File: in.name, Line: 1, Column: 1, Severity: sevError, Check: checkSyntax, Message: err.Error()})
			continue
		}
		for _, doc := range docs {
			u, probs := doc.parse()
			if len(probs) > 0 {
				diags = append(diags, probs...)
				continue
			}
			obj, probs := admit(ctx, set, doc, u, ns)
			diags = append(diags, probs...)
			if obj == nil {
				if len(probs) == 0 {
					skipped++
				}
				continue
			}
			objs = append(objs, obj)
		}
	}
	return objs, diags, skipped
}

// sort puts the objects in namespace/name order.
func (o *objects) sort() {
	key := func(obj client.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }
	sort.Slice(o.Policies, func(i, j int) bool { return key(o.Policies[i]) < key(o.Policies[j]) })
	sort.Slice(o.Teams, func(i, j int) bool { return key(o.Teams[i]) < key(o.Teams[j]) })
	sort.Slice(o.Goals, func(i, j int) bool { return key(o.Goals[i]) < key(o.Goals[j]) })
	sort.Slice(o.Experiments, func(i, j int) bool { return key(o.Experiments[i]) < key(o.Experiments[j]) })
}

// loadCluster lists the resources in every namespace of the current kubeconfig context's cluster.
func loadCluster(ctx context.Context, e env) (*objects, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kc := e.getenv("KUBECONFIG"); kc != "" {
		rules.Precedence = filepath.SplitList(kc)
	} else if home := e.getenv("HOME"); home != "" {
		rules.Precedence = []string{filepath.Join(home, ".kube", "config")}
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--cluster: reading the kubeconfig: %w", err)
	}
	cfg.Timeout = 30 * time.Second
	scheme := runtime.NewScheme()
	if err := leadopsv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("--cluster: %w", err)
	}
	out := &objects{From: "the cluster (" + cfg.Host + ")"}
	var policies leadopsv1.LeadPolicyList
	if err := c.List(ctx, &policies); err != nil {
		return nil, fmt.Errorf("--cluster: listing LeadPolicies: %w", err)
	}
	for i := range policies.Items {
		out.Policies = append(out.Policies, &policies.Items[i])
	}
	var teams leadopsv1.TeamList
	if err := c.List(ctx, &teams); err != nil {
		return nil, fmt.Errorf("--cluster: listing Teams: %w", err)
	}
	for i := range teams.Items {
		out.Teams = append(out.Teams, &teams.Items[i])
	}
	var goalList leadopsv1.TeamGoalList
	if err := c.List(ctx, &goalList); err != nil {
		return nil, fmt.Errorf("--cluster: listing TeamGoals: %w", err)
	}
	for i := range goalList.Items {
		out.Goals = append(out.Goals, &goalList.Items[i])
	}
	// A cluster whose CRDs predate LeadExperiment has none; that is not an error for the scorecard.
	var experiments leadopsv1.LeadExperimentList
	if err := c.List(ctx, &experiments); err != nil && !meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("--cluster: listing LeadExperiments: %w", err)
	}
	for i := range experiments.Items {
		out.Experiments = append(out.Experiments, &experiments.Items[i])
	}
	out.sort()
	return out, nil
}

// team finds a Team by namespace and name.
func (o *objects) team(ns, name string) *leadopsv1.Team {
	for _, t := range o.Teams {
		if t.Namespace == ns && t.Name == name {
			return t
		}
	}
	return nil
}

// compiledPolicy is a LeadPolicy the controller applies, compiled.
type compiledPolicy struct {
	spec     *leadopsv1.LeadPolicy
	compiled *policy.Compiled
	router   *router.Policy
}

// objectProblem is an object the controller does not apply, and why.
type objectProblem struct {
	kind string
	obj  client.Object
	err  *policy.SpecError
}

// compile compiles the objects the way the router controller does (internal/policy): valid policies
// in order and valid teams by key; the invalid ones are problems.
func (o *objects) compile() ([]compiledPolicy, map[router.TeamKey]*policy.Team, []objectProblem) {
	var policies []compiledPolicy
	teams := map[router.TeamKey]*policy.Team{}
	var problems []objectProblem
	for _, p := range o.Policies {
		cp, specErr := policy.Compile(p)
		if specErr != nil {
			problems = append(problems, objectProblem{kind: "LeadPolicy", obj: p, err: specErr})
			continue
		}
		policies = append(policies, compiledPolicy{spec: p, compiled: cp, router: cp.RouterPolicy(p)})
	}
	for _, t := range o.Teams {
		view, specErr := policy.ParseTeam(&t.Spec)
		if specErr != nil {
			problems = append(problems, objectProblem{kind: "Team", obj: t, err: specErr})
			continue
		}
		teams[router.TeamKey{Namespace: t.Namespace, Name: t.Name}] = view
	}
	return policies, teams, problems
}

// routerInput compiles the objects the way the router controller does: invalid policies and teams
// are left out (their problems are returned, in words, to say why), valid ones become the router's
// input at now.
func (o *objects) routerInput(now time.Time) (router.Input, map[string]*leadopsv1.LeadPolicy, []string) {
	in := router.Input{Now: now, Teams: map[router.TeamKey]*router.Team{}}
	specs := map[string]*leadopsv1.LeadPolicy{}
	var problems []string
	policies, teams, bad := o.compile()
	for _, b := range bad {
		what := "is not usable"
		if b.kind == "LeadPolicy" {
			what = "is not applied by the controller"
		}
		problems = append(problems, fmt.Sprintf("%s %s/%s %s (%s): %v", b.kind, b.obj.GetNamespace(), b.obj.GetName(), what, b.err.Reason, b.err))
	}
	for _, p := range policies {
		in.Policies = append(in.Policies, p.router)
		specs[p.spec.Namespace+"/"+p.spec.Name] = p.spec
	}
	for key, view := range teams {
		in.Teams[key] = view.Snapshot(now)
	}
	return in, specs, problems
}

package main

import (
	"bytes"
	"context"
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

	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
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
	// From says where they came from, for the output ("config/samples", "the cluster").
	From string
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

// loadFiles reads every LeadPolicy, Team and TeamGoal in the files and directories (recursively,
// multi-document YAML); other kinds are skipped. Objects without a namespace are put in ns. The
// defaults the API server would apply on the fields leadops reads are applied too.
func loadFiles(paths []string, ns string) (*objects, error) {
	out := &objects{From: strings.Join(paths, ", ")}
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			ext := strings.ToLower(filepath.Ext(path))
			base := strings.ToLower(filepath.Base(path))
			if (ext != ".yaml" && ext != ".yml" && ext != ".json") || strings.HasPrefix(base, "kustomization.") {
				return nil
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return out.decode(path, raw, ns)
		})
		if err != nil {
			return nil, err
		}
	}
	out.sort()
	return out, nil
}

func (o *objects) decode(path string, raw []byte, ns string) error {
	r := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for n := 1; ; n++ {
		var doc runtime.RawExtension
		if err := r.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s: document %d: %w", path, n, err)
		}
		if len(bytes.TrimSpace(doc.Raw)) == 0 || string(bytes.TrimSpace(doc.Raw)) == "null" {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc.Raw, &meta); err != nil {
			return fmt.Errorf("%s: document %d: %w", path, n, err)
		}
		if !strings.HasPrefix(meta.APIVersion, leadopsv1.GroupVersion.Group+"/") {
			continue
		}
		var obj client.Object
		switch meta.Kind {
		case "LeadPolicy":
			p := &leadopsv1.LeadPolicy{}
			obj = p
			o.Policies = append(o.Policies, p)
		case "Team":
			t := &leadopsv1.Team{}
			obj = t
			o.Teams = append(o.Teams, t)
		case "TeamGoal":
			g := &leadopsv1.TeamGoal{}
			obj = g
			o.Goals = append(o.Goals, g)
		default:
			continue
		}
		if err := yaml.Unmarshal(doc.Raw, obj); err != nil {
			return fmt.Errorf("%s: document %d (%s): %w", path, n, meta.Kind, err)
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace(ns)
		}
		if obj.GetGeneration() == 0 {
			obj.SetGeneration(1)
		}
	}
}

// sort puts the objects in namespace/name order and applies the API server's defaults on the
// fields leadops reads (files have not been through admission).
func (o *objects) sort() {
	key := func(obj client.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }
	sort.Slice(o.Policies, func(i, j int) bool { return key(o.Policies[i]) < key(o.Policies[j]) })
	sort.Slice(o.Teams, func(i, j int) bool { return key(o.Teams[i]) < key(o.Teams[j]) })
	sort.Slice(o.Goals, func(i, j int) bool { return key(o.Goals[i]) < key(o.Goals[j]) })
	for _, p := range o.Policies {
		for i := range p.Spec.Rules {
			if p.Spec.Rules[i].Strategy == "" {
				p.Spec.Rules[i].Strategy = leadopsv1.StrategyRoundRobin
			}
		}
		if s := p.Spec.SLA; s != nil && s.OnBreach != nil && s.OnBreach.Reassign && s.OnBreach.MaxReassignments == 0 {
			s.OnBreach.MaxReassignments = 1
		}
	}
	for _, t := range o.Teams {
		if t.Spec.Timezone == "" {
			t.Spec.Timezone = "UTC"
		}
		for i := range t.Spec.Members {
			if t.Spec.Members[i].Weight == 0 {
				t.Spec.Members[i].Weight = 1
			}
		}
	}
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

// routerInput compiles the objects the way the router controller does: invalid policies and teams
// are left out (their problems are returned, in words, to say why), valid ones become the router's
// input at now.
func (o *objects) routerInput(now time.Time) (router.Input, map[string]*leadopsv1.LeadPolicy, []string) {
	in := router.Input{Now: now, Teams: map[router.TeamKey]*router.Team{}}
	specs := map[string]*leadopsv1.LeadPolicy{}
	var problems []string
	for _, p := range o.Policies {
		cp, specErr := policy.Compile(p)
		if specErr != nil {
			problems = append(problems, fmt.Sprintf("LeadPolicy %s/%s is not applied by the controller (%s): %v", p.Namespace, p.Name, specErr.Reason, specErr))
			continue
		}
		in.Policies = append(in.Policies, cp.RouterPolicy(p))
		specs[p.Namespace+"/"+p.Name] = p
	}
	for _, t := range o.Teams {
		view, specErr := policy.ParseTeam(&t.Spec)
		if specErr != nil {
			problems = append(problems, fmt.Sprintf("Team %s/%s is not usable (%s): %v", t.Namespace, t.Name, specErr.Reason, specErr))
			continue
		}
		in.Teams[router.TeamKey{Namespace: t.Namespace, Name: t.Name}] = view.Snapshot(now)
	}
	return in, specs, problems
}

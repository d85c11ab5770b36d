package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/sla"
)

// previewProposal is the proposed set of LeadPolicies and Teams, compiled as the controller compiles
// them. It is the whole routing configuration the replay sees: policies and teams not in it do not
// exist for the preview.
type previewProposal struct {
	policies []*router.Policy
	teams    map[router.TeamKey]*policy.Team
	// members lists each proposed member's teams and capacity, for the report.
	members map[string]*previewMember
	sla     map[string]*sla.Spec // by policy key
	// warnings are problems that do not stop the preview (a rule's Team missing from the proposal).
	warnings []string
}

type previewMember struct {
	teams    []string
	capacity int
}

// previewDoc is one YAML document with where it came from.
type previewDoc struct {
	source string
	obj    map[string]any
}

// loadProposal reads LeadPolicies and Teams from files and directories (recursively: *.yaml, *.yml,
// *.json), or stdin for "-", multi-document YAML, with loadObjects (an object the API server would
// refuse stops the preview, with validate's message), and compiles them. Objects of other kinds
// (TeamGoals, ConfigMaps) are skipped, valid or not. Objects without a namespace are in ns.
func loadProposal(ctx context.Context, paths []string, stdin io.Reader, ns string) (*previewProposal, error) {
	inputs, err := readInputs(paths, stdin)
	if err != nil {
		return nil, err
	}
	objs, err := loadObjects(ctx, inputs, ns, "LeadPolicy", "Team")
	if err != nil {
		return nil, err
	}
	return compileProposal(objs)
}

// compileProposal compiles the LeadPolicies and Teams with internal/policy, as the controller does;
// any problem the controller would report as Ready=False stops the preview.
func compileProposal(objs *objects) (*previewProposal, error) {
	prop := &previewProposal{teams: map[router.TeamKey]*policy.Team{}, members: map[string]*previewMember{}, sla: map[string]*sla.Spec{}}
	var problems []string
	seen := map[string]string{}
	dup := func(kind string, o client.Object) {
		id := kind + " " + o.GetNamespace() + "/" + o.GetName()
		if prev, ok := seen[id]; ok {
			problems = append(problems, fmt.Sprintf("%s: %s is also defined in %s", objs.sources[o], id, prev))
		}
		seen[id] = objs.sources[o]
	}
	for _, p := range objs.Policies {
		dup("LeadPolicy", p)
	}
	for _, t := range objs.Teams {
		dup("Team", t)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	policies, teams, bad := objs.compile()
	for _, b := range bad {
		problems = append(problems, fmt.Sprintf("%s: %s %s/%s: %v", objs.sources[b.obj], b.kind, b.obj.GetNamespace(), b.obj.GetName(), b.err))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	for _, cp := range policies {
		prop.policies = append(prop.policies, cp.router)
		prop.sla[cp.router.Key()] = cp.compiled.SLA
	}
	for _, t := range objs.Teams {
		key := router.TeamKey{Namespace: t.Namespace, Name: t.Name}
		pt := teams[key]
		prop.teams[key] = pt
		for _, m := range pt.Members {
			pm := prop.members[m.Name]
			if pm == nil {
				pm = &previewMember{}
				prop.members[m.Name] = pm
			}
			pm.teams = append(pm.teams, key.String())
			pm.capacity += int(m.Capacity)
		}
	}
	if len(prop.policies) == 0 {
		return nil, errors.New("the proposal holds no LeadPolicy (apiVersion leadops.io/v1alpha1, kind LeadPolicy)")
	}
	sort.Slice(prop.policies, func(i, j int) bool { return prop.policies[i].Key() < prop.policies[j].Key() })
	for _, cp := range policies {
		lp := cp.spec
		for _, name := range policy.ReferencedTeams(lp) {
			if _, ok := prop.teams[router.TeamKey{Namespace: lp.Namespace, Name: name}]; !ok {
				prop.warnings = append(prop.warnings, fmt.Sprintf("LeadPolicy %s/%s routes to Team %s/%s, which the proposal does not define: its rules skip that team",
					lp.Namespace, lp.Name, lp.Namespace, name))
			}
		}
	}
	for _, m := range prop.members {
		sort.Strings(m.teams)
	}
	return prop, nil
}

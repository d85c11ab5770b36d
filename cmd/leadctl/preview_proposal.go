package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
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
// *.json), or stdin for "-", multi-document YAML, and compiles them. Objects of other kinds
// (TeamGoals, a Kustomization, ConfigMaps) are skipped. Objects without a namespace are in ns.
func loadProposal(paths []string, stdin io.Reader, ns string) (*previewProposal, error) {
	var docs []previewDoc
	for _, p := range paths {
		if p == "-" {
			d, err := readPreviewDocs("stdin", stdin)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
			continue
		}
		err := filepath.WalkDir(p, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.IsDir() {
				return nil
			}
			if path != p { // a file named on the command line is read whatever its extension
				switch strings.ToLower(filepath.Ext(path)) {
				case ".yaml", ".yml", ".json":
				default:
					return nil
				}
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			d, err := readPreviewDocs(path, f)
			docs = append(docs, d...)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return compileProposal(docs, ns)
}

// readPreviewDocs splits a stream into its YAML (or JSON) documents, a List's items included.
func readPreviewDocs(source string, r io.Reader) ([]previewDoc, error) {
	var out []previewDoc
	rd := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for n := 1; ; n++ {
		raw, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, n, err)
		}
		if obj == nil {
			continue
		}
		if kind, _ := obj["kind"].(string); strings.HasSuffix(kind, "List") {
			items, _ := obj["items"].([]any)
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					out = append(out, previewDoc{source: fmt.Sprintf("%s: document %d", source, n), obj: m})
				}
			}
			continue
		}
		out = append(out, previewDoc{source: fmt.Sprintf("%s: document %d", source, n), obj: obj})
	}
}

// compileProposal decodes the leadops objects and compiles them with internal/policy, as the
// controller does; any problem the controller would report as Ready=False stops the preview.
func compileProposal(docs []previewDoc, ns string) (*previewProposal, error) {
	prop := &previewProposal{teams: map[router.TeamKey]*policy.Team{}, members: map[string]*previewMember{}, sla: map[string]*sla.Spec{}}
	seen := map[string]string{}
	var lps []*leadopsv1.LeadPolicy
	var problems []string
	for _, d := range docs {
		apiVersion, _ := d.obj["apiVersion"].(string)
		kind, _ := d.obj["kind"].(string)
		if !strings.HasPrefix(apiVersion, leadopsv1.GroupVersion.Group+"/") || (kind != "LeadPolicy" && kind != "Team") {
			continue
		}
		previewDefaults(kind, d.obj)
		raw, err := json.Marshal(d.obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.source, err)
		}
		var meta struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
		}
		_ = json.Unmarshal(raw, &meta)
		if meta.Metadata.Name == "" {
			problems = append(problems, fmt.Sprintf("%s: %s without metadata.name", d.source, kind))
			continue
		}
		if meta.Metadata.Namespace == "" {
			meta.Metadata.Namespace = ns
		}
		key := router.TeamKey{Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name}
		id := kind + " " + key.String()
		if prev, dup := seen[id]; dup {
			problems = append(problems, fmt.Sprintf("%s: %s is also defined in %s", d.source, id, prev))
			continue
		}
		seen[id] = d.source
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		switch kind {
		case "LeadPolicy":
			lp := &leadopsv1.LeadPolicy{}
			if err := dec.Decode(lp); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", d.source, id, err))
				continue
			}
			lp.Namespace = key.Namespace
			if lp.Generation == 0 {
				lp.Generation = 1
			}
			cp, specErr := policy.Compile(lp)
			if specErr != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", d.source, id, specErr))
				continue
			}
			rp := cp.RouterPolicy(lp)
			prop.policies = append(prop.policies, rp)
			prop.sla[rp.Key()] = cp.SLA
			lps = append(lps, lp)
		case "Team":
			t := &leadopsv1.Team{}
			if err := dec.Decode(t); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", d.source, id, err))
				continue
			}
			pt, specErr := policy.ParseTeam(&t.Spec)
			if specErr != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", d.source, id, specErr))
				continue
			}
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
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	if len(prop.policies) == 0 {
		return nil, errors.New("the proposal holds no LeadPolicy (apiVersion leadops.io/v1alpha1, kind LeadPolicy)")
	}
	sort.Slice(prop.policies, func(i, j int) bool { return prop.policies[i].Key() < prop.policies[j].Key() })
	for _, lp := range lps {
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

// previewDefaults applies the CRD defaults whose absence the Go types cannot tell from a zero value:
// a Team's timezone (UTC) and a member's weight (1). The others (strategy RoundRobin, the gate's
// reason, the SLA clock BusinessHours) already mean the same empty or set.
func previewDefaults(kind string, obj map[string]any) {
	if kind != "Team" {
		return
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return
	}
	if _, ok := spec["timezone"]; !ok {
		spec["timezone"] = "UTC"
	}
	members, _ := spec["members"].([]any)
	for _, m := range members {
		if mm, ok := m.(map[string]any); ok {
			if _, ok := mm["weight"]; !ok {
				mm["weight"] = 1
			}
		}
	}
}

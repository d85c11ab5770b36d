package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/store"
)

// applySamples creates every resource config/samples/kustomization.yaml lists, in its order, as
// `kubectl apply -k config/samples` would.
func (d *demo) applySamples(ctx context.Context, root string) error {
	dir := filepath.Join(root, "config", "samples")
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		return fmt.Errorf("reading %s/kustomization.yaml: %w", dir, err)
	}
	if len(k.Resources) == 0 {
		return fmt.Errorf("%s/kustomization.yaml lists no resources", dir)
	}
	fmt.Fprintf(d.out, "Applying config/samples (%d objects) to namespace %q…\n", len(k.Resources), d.cfg.namespace)
	for _, name := range k.Resources {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			return fmt.Errorf("config/samples/%s: %w", name, err)
		}
		obj.SetNamespace(d.cfg.namespace)
		if err := d.k8s.Create(ctx, obj); err != nil {
			return fmt.Errorf("applying config/samples/%s: %w", name, err)
		}
	}
	return nil
}

// teamMembers lists the members and managers of the sample teams: each gets an API token so the
// audit log shows which simulated rep did what.
func (d *demo) teamMembers(ctx context.Context) ([]string, error) {
	var teams leadopsv1.TeamList
	if err := d.k8s.List(ctx, &teams, client.InNamespace(d.cfg.namespace)); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	d.managers = map[string]bool{}
	for _, t := range teams.Items {
		for _, m := range t.Spec.Members {
			seen[m.Name] = true
		}
		if t.Spec.Manager != "" {
			seen[t.Spec.Manager] = true
			d.managers[t.Spec.Manager] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// accounts are the named accounts sales already owns: leads from these domains go to their owner
// (the inbound policy's AccountOwner rule). Obviously fictional, on the reserved .example TLD.
var accounts = []store.Account{
	{Domain: "acme-anvils.example", Name: "Acme Anvils (demo)", Owner: "ae-01"},
	{Domain: "globex-demo.example", Name: "Globex Demo Corp", Owner: "ae-02"},
	{Domain: "initech-sample.example", Name: "Initech Sample Ltd", Owner: "ae-03"},
}

// seedAccounts stores the named accounts through the HTTP API, as a CRM sync would.
func (d *demo) seedAccounts(ctx context.Context) error {
	for _, a := range accounts {
		if _, err := d.api.UpsertAccount(ctx, a); err != nil {
			return fmt.Errorf("storing account %s: %w", a.Domain, err)
		}
	}
	return nil
}

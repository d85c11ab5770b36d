package main

import (
	"context"
	"fmt"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// kubeClientConfig is the kubeconfig validate's --cluster reads: --kubeconfig, else $KUBECONFIG, else
// ~/.kube/config, with --context.
func kubeClientConfig(e env, o validateOptions) clientcmd.ClientConfig {
	rules := &clientcmd.ClientConfigLoadingRules{}
	switch {
	case o.kubeconfig != "":
		rules.ExplicitPath = o.kubeconfig
	case e.getenv("KUBECONFIG") != "":
		rules.Precedence = filepath.SplitList(e.getenv("KUBECONFIG"))
	case e.getenv("HOME") != "":
		rules.Precedence = []string{filepath.Join(e.getenv("HOME"), ".kube", "config")}
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.context})
}

// clusterNamespace is the namespace of the kubeconfig context ("default" when it names none).
func clusterNamespace(e env, o validateOptions) (string, error) {
	ns, _, err := kubeClientConfig(e, o).Namespace()
	if err != nil {
		return "", fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return ns, nil
}

// clusterTeams looks Teams up in the cluster of the kubeconfig.
func clusterTeams(e env, o validateOptions) (teamLookup, error) {
	cfg, err := kubeClientConfig(e, o).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := leadopsv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return func(ctx context.Context, namespace, name string) (*leadopsv1.Team, bool, error) {
		t := &leadopsv1.Team{}
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, t)
		switch {
		case apierrors.IsNotFound(err):
			return nil, false, nil
		case err != nil:
			return nil, false, err
		}
		return t, true, nil
	}, nil
}

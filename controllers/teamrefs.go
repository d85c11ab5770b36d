package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/policy"
)

// checkTeams returns a TeamNotFound spec error naming the first referenced Team that does not exist.
// paths maps each team name to the field that references it, for the message.
func checkTeams(ctx context.Context, c client.Reader, namespace string, names []string, paths map[string]string) (map[string]*leadopsv1.Team, *policy.SpecError, error) {
	teams := make(map[string]*leadopsv1.Team, len(names))
	for _, name := range names {
		t := &leadopsv1.Team{}
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, t)
		switch {
		case apierrors.IsNotFound(err):
			return nil, policy.FieldSpecError(leadopsv1.ReasonTeamNotFound, paths[name],
				"Team %q does not exist in namespace %q; create it or fix the reference", name, namespace), nil
		case err != nil:
			return nil, nil, fmt.Errorf("reading Team %s/%s: %w", namespace, name, err)
		}
		teams[name] = t
	}
	return teams, nil, nil
}

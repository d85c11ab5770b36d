package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/policy"
)

// teamRefIndex indexes LeadPolicies and TeamGoals by the Teams they reference, so a Team change
// requeues exactly the objects that depend on it.
const teamRefIndex = ".spec.teamRefs"

// SetupIndexes registers the field indexes the reconcilers rely on. Call it once per manager.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &leadopsv1.LeadPolicy{}, teamRefIndex, func(o client.Object) []string {
		return policy.ReferencedTeams(o.(*leadopsv1.LeadPolicy))
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &leadopsv1.TeamGoal{}, teamRefIndex, func(o client.Object) []string {
		return []string{o.(*leadopsv1.TeamGoal).Spec.TeamRef.Name}
	})
}

// requestsForTeam maps a Team to the objects of list's kind in its namespace that reference it.
func requestsForTeam(c client.Client, newList func() client.ObjectList) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, team client.Object) []reconcile.Request {
		list := newList()
		if err := c.List(ctx, list, client.InNamespace(team.GetNamespace()), client.MatchingFields{teamRefIndex: team.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing objects that reference a Team", "team", team.GetName())
			return nil
		}
		var reqs []reconcile.Request
		_ = forEachItem(list, func(o client.Object) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}})
		})
		return reqs
	}
}

func forEachItem(list client.ObjectList, fn func(client.Object)) error {
	switch l := list.(type) {
	case *leadopsv1.LeadPolicyList:
		for i := range l.Items {
			fn(&l.Items[i])
		}
	case *leadopsv1.TeamGoalList:
		for i := range l.Items {
			fn(&l.Items[i])
		}
	}
	return nil
}

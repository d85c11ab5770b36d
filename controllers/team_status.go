package controllers

import (
	"context"
	"fmt"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// reconcileLoad fills open load, utilization and queue from the lead store.
func (r *TeamReconciler) reconcileLoad(ctx context.Context, team *leadopsv1.Team) error {
	if r.Store == nil {
		return nil
	}
	key := team.Namespace + "/" + team.Name
	stats, err := r.Store.TeamStats(ctx, key)
	if err != nil {
		return fmt.Errorf("reading the load of team %s from the lead store: %w", key, err)
	}
	st := &team.Status
	open, queued := int32(stats.Open), int32(stats.Queued)
	st.OpenLeads, st.Queued = &open, &queued
	st.Load = fmt.Sprintf("%d/%d", open, st.Capacity)
	st.Utilization = utilization(int64(open), int64(st.Capacity))
	return nil
}

// utilization renders open/capacity as a whole percentage; a team with no capacity and open leads is
// shown as over capacity rather than dividing by zero.
func utilization(open, capacity int64) string {
	switch {
	case capacity > 0:
		return fmt.Sprintf("%d%%", open*100/capacity)
	case open > 0:
		return "no capacity"
	}
	return "0%"
}

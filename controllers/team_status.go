package controllers

import (
	"context"
	"fmt"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/roster"
	"github.com/leadops/leadops/internal/store"
)

// teamStatusStore is what the Team reconciler reads from the lead store: a team's open and queued
// leads and its inflow against its close-outs.
type teamStatusStore interface {
	TeamStats(ctx context.Context, team string) (store.TeamStats, error)
	TeamFlow(ctx context.Context, team string, since, until time.Time) (in, out int64, err error)
}

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

	now := r.Clock.Now()
	in, out, err := r.Store.TeamFlow(ctx, key, now.Add(-flowWindow), now)
	if err != nil {
		return fmt.Errorf("reading the 7-day flow of team %s from the lead store: %w", key, err)
	}
	st.RoutedLast7Days, st.ClosedOutLast7Days = &in, &out
	v := roster.OverCapacity(roster.Flow{Open: stats.Open, Capacity: int64(st.Capacity), Queued: stats.Queued, In: in, Out: out, Window: flowWindow})
	setCondition(&st.Conditions, team.Generation, leadopsv1.ConditionOverCapacity, conditionStatus(v.Over), v.Reason, v.Message)
	labels := []string{team.Namespace, team.Name}
	if st.Capacity > 0 {
		teamUtilization.WithLabelValues(labels...).Set(float64(open) / float64(st.Capacity))
	} else {
		teamUtilization.WithLabelValues(labels...).Set(0)
	}
	over := 0.0
	if v.Over {
		over = 1
	}
	teamOverCapacity.WithLabelValues(labels...).Set(over)
	return nil
}

// flowWindow is the trailing window of a Team's inflow and close-out figures.
const flowWindow = 7 * 24 * time.Hour

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

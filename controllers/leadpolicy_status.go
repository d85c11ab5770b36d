package controllers

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// reconcileCounters fills the routing counters and CapacityExceeded from the lead store.
func (r *LeadPolicyReconciler) reconcileCounters(ctx context.Context, policy *leadopsv1.LeadPolicy) error {
	if r.Store == nil {
		return nil
	}
	key := policy.Namespace + "/" + policy.Name
	stats, err := r.Store.PolicyStats(ctx, key)
	if err != nil {
		return fmt.Errorf("reading counters of policy %s from the lead store: %w", key, err)
	}
	st := &policy.Status
	st.Routed, st.Open, st.Queued, st.Disqualified = stats.Routed, stats.Open, stats.Queued, stats.Disqualified
	if stats.LastRoutedTime != nil {
		t := metav1.NewTime(*stats.LastRoutedTime)
		st.LastRoutedTime = &t
	}
	routingQueue.WithLabelValues(key).Set(float64(stats.Queued))
	setCondition(&st.Conditions, policy.Generation, leadopsv1.ConditionCapacityExceeded, capacityStatus(stats.Queued),
		capacityReason(stats.Queued), capacityMessage(stats.Queued))
	return nil
}

func capacityStatus(queued int64) metav1.ConditionStatus {
	if queued > 0 {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

func capacityReason(queued int64) string {
	if queued > 0 {
		return "LeadsQueued"
	}
	return "WithinCapacity"
}

func capacityMessage(queued int64) string {
	if queued > 0 {
		return fmt.Sprintf("%d leads wait because no member of the target team has room or is available; they are routed as soon as capacity frees up", queued)
	}
	return "no lead is waiting for capacity"
}

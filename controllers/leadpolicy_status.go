package controllers

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/sla"
	"github.com/leadops/leadops/internal/store"
)

// policyStatusStore is what the LeadPolicy reconciler reads from the lead store: the routing
// counters and the SLA figures of one policy.
type policyStatusStore interface {
	PolicyStats(ctx context.Context, policy string) (store.PolicyStats, error)
	SLAStats(ctx context.Context, policy string, q store.SLAQuery) (store.SLAStats, error)
}

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

// complianceWindow is the policy's trailing window for compliance and median time to first touch.
func complianceWindow(policy *leadopsv1.LeadPolicy) time.Duration {
	if d, err := time.ParseDuration(string(policy.Spec.ComplianceWindow)); err == nil && d > 0 {
		return d
	}
	return 7 * 24 * time.Hour
}

// defaultBreachConditionWindow is spec.sla.breachConditionWindow's default, for a policy without an
// sla block whose leads still carry breaches from when it had one.
const defaultBreachConditionWindow = 15 * time.Minute

// breachConditionWindow is how long a recorded breach keeps SLABreached True.
func breachConditionWindow(policy *leadopsv1.LeadPolicy) time.Duration {
	if s := policy.Spec.SLA; s != nil && s.BreachConditionWindow != "" {
		if d, err := time.ParseDuration(string(s.BreachConditionWindow)); err == nil && d >= 0 {
			return d
		}
	}
	return defaultBreachConditionWindow
}

// reconcileSLA sets SLABreached, SLAAtRisk and the SLA figures, and returns when they next change by
// the passage of time alone (zero when nothing is scheduled): a warning time, a deadline, or the end
// of the newest breach's window.
func (r *LeadPolicyReconciler) reconcileSLA(ctx context.Context, policy *leadopsv1.LeadPolicy) (time.Time, error) {
	if r.Store == nil {
		return time.Time{}, nil
	}
	key := policy.Namespace + "/" + policy.Name
	now := r.Clock.Now()
	window := breachConditionWindow(policy)
	stats, err := r.Store.SLAStats(ctx, key, store.SLAQuery{Now: now, Since: now.Add(-complianceWindow(policy)),
		BreachedSince: now.Add(-window)})
	if err != nil {
		return time.Time{}, fmt.Errorf("reading SLA figures of policy %s from the lead store: %w", key, err)
	}
	st := &policy.Status
	gen := policy.Generation
	overdue := stats.FirstTouchOverdue + stats.AcceptanceOverdue
	st.Breached = overdue
	slaOverdue.WithLabelValues(key).Set(float64(overdue))
	slaAtRisk.WithLabelValues(key).Set(float64(stats.AtRisk))
	if c := sla.Compliance(stats.Compliant, stats.Breached); c.Known {
		st.Compliance = c.String()
		slaCompliance.WithLabelValues(key).Set(c.Ratio)
	} else {
		st.Compliance = ""
	}
	st.MedianTimeToFirstTouch = ""
	if stats.MedianTimeToFirstTouch != nil {
		st.MedianTimeToFirstTouch = sla.FormatDuration(*stats.MedianTimeToFirstTouch)
	}
	if stats.LastBreachTime != nil {
		t := metav1.NewTime(*stats.LastBreachTime)
		st.LastBreachTime = &t
	}

	cond, clears := sla.Breached(sla.Breaches{FirstTouchOverdue: stats.FirstTouchOverdue, AcceptanceOverdue: stats.AcceptanceOverdue,
		OldestOverdueDue: stats.OldestOverdueDue, Recent: stats.RecentlyBreached, Newest: stats.LastBreachTime, Window: window}, now)
	setCondition(&st.Conditions, gen, leadopsv1.ConditionSLABreached, conditionStatus(cond.True), cond.Reason, cond.Message)
	risk := sla.AtRisk(stats.AtRisk)
	setCondition(&st.Conditions, gen, leadopsv1.ConditionSLAAtRisk, conditionStatus(risk.True), risk.Reason, risk.Message)

	// Nothing else changes the condition when the window of the newest breach ends, so that instant
	// is a time-driven event like a warning time or a deadline.
	next := clears
	if stats.NextEvent != nil && (next.IsZero() || stats.NextEvent.Before(next)) {
		next = *stats.NextEvent
	}
	return next, nil
}

func conditionStatus(b bool) metav1.ConditionStatus {
	if b {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

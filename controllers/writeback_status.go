package controllers

import (
	"context"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/crm/writeback"
)

// writeBackHealth is where the CRM write-back workers report per LeadPolicy (a writeback.Registry):
// the LeadPolicy reconciler turns it into the CRMWriteBack condition, the nudger re-reconciles a
// policy when its verdict changes.
type writeBackHealth interface {
	Health(policy string) (writeback.Health, bool)
	Policies() []string
	Changed() <-chan struct{}
}

// WithWriteBackHealth gives LeadPolicies the CRMWriteBack condition from what the write-back
// workers (started next to the controllers, on the same leader) report to r.
func WithWriteBackHealth(r *writeback.Registry) SetupOption {
	return func(o *setupConfig) { o.writeBack = r }
}

// reconcileWriteBack sets CRMWriteBack on a policy whose leads a write-back worker has seen, and
// removes it from any other. It never touches Ready: a CRM that refuses owners is a warning about
// the CRM, and routing goes on. The health lives in memory on the leader, so a restarted or newly
// elected controller shows the condition again once a worker has written a lead of the policy.
func (r *LeadPolicyReconciler) reconcileWriteBack(policy *leadopsv1.LeadPolicy) {
	conds := &policy.Status.Conditions
	var (
		h  writeback.Health
		ok bool
	)
	if r.WriteBack != nil {
		h, ok = r.WriteBack.Health(policy.Namespace + "/" + policy.Name)
	}
	if !ok {
		meta.RemoveStatusCondition(conds, leadopsv1.ConditionCRMWriteBack)
		return
	}
	v := h.Evaluate(r.Clock.Now(), writeback.DefaultThresholds)
	status := metav1.ConditionFalse
	if v.Healthy {
		status = metav1.ConditionTrue
	}
	setCondition(conds, policy.Generation, leadopsv1.ConditionCRMWriteBack, status, v.Reason, v.Message)
}

// writeBackNudger sends a policy to its reconciler when its write-back verdict changes: on the
// workers' reports, and on a timer for the changes time alone makes (a pending change growing past
// the lag threshold, a failure leaving its window). Counts in the message follow with the status
// refreshes every lead store change brings anyway.
type writeBackNudger struct {
	Health   writeBackHealth
	Policies chan event.GenericEvent
	Clock    clock.Clock
	Interval time.Duration

	last map[string]string // policy → reason last nudged for
}

// NeedLeaderElection is true: the workers and the reconciler it nudges run on the leader.
func (n *writeBackNudger) NeedLeaderElection() bool { return true }

func (n *writeBackNudger) Start(ctx context.Context) error {
	tick := time.NewTicker(n.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.Health.Changed():
		case <-tick.C:
		}
		n.nudgeChanged()
	}
}

// nudgeChanged offers every policy whose verdict reason changed since it was last offered.
func (n *writeBackNudger) nudgeChanged() {
	if n.last == nil {
		n.last = map[string]string{}
	}
	now := n.Clock.Now()
	for _, key := range n.Health.Policies() {
		h, ok := n.Health.Health(key)
		if !ok {
			continue
		}
		reason := h.Evaluate(now, writeback.DefaultThresholds).Reason
		if n.last[key] == reason {
			continue
		}
		ns, name, ok := strings.Cut(key, "/")
		if !ok {
			continue
		}
		n.last[key] = reason
		p := &leadopsv1.LeadPolicy{}
		p.Namespace, p.Name = ns, name
		offer(n.Policies, p)
	}
}

// WriteBackRoster maps a team member to the crmUser of their Team entry, reading Teams through c
// (the manager's cache): team is "namespace/name" as routing events record it. ok is false when the
// team, the member or the field is missing, and write-back takes the member name as the CRM user id.
func WriteBackRoster(c client.Reader) writeback.Roster {
	return func(team, member string) (string, bool) {
		ns, name, ok := strings.Cut(team, "/")
		if !ok {
			return "", false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		t := &leadopsv1.Team{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, t); err != nil {
			return "", false
		}
		for _, m := range t.Spec.Members {
			if m.Name == member {
				return m.CRMUser, m.CRMUser != ""
			}
		}
		return "", false
	}
}

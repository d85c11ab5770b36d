package controllers

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/sla"
)

// breachTally counts one pass's breaches of one policy; the Event aggregator sums passes.
type breachTally struct {
	firstTouch, acceptance, reassigned, escalated int64
}

func (t *breachTally) count(k lead.SLAKind) {
	if k == lead.SLAFirstTouch {
		t.firstTouch++
	} else {
		t.acceptance++
	}
}

func (r *RouterReconciler) announceBreaches(key string, t *breachTally) {
	policy := policyName(key)
	r.Events.add(policy, "SLABreached", corev1.EventTypeWarning, "EnforceSLA", map[string]int64{
		string(lead.SLAFirstTouch): t.firstTouch, string(lead.SLAAcceptance): t.acceptance, "reassigned": t.reassigned, "escalated": t.escalated,
	}, "", breachNote)
	r.nudge(r.PolicyChanged, &leadopsv1.LeadPolicy{}, policy)
}

// breachNote is the SLABreached Event's note for counts summed over window. The leads are not named:
// `leadctl list --policy NS/NAME --breached` lists them.
func breachNote(c map[string]int64, _ string, window time.Duration) string {
	ft, acc := c[string(lead.SLAFirstTouch)], c[string(lead.SLAAcceptance)]
	total := ft + acc
	verb := "breached their SLA"
	if total == 1 {
		verb = "breached its SLA"
	}
	msg := fmt.Sprintf("%s %s%s (%d first touch, %d acceptance)", sla.Plural(total, "handoff"), verb, overWindow(window),
		ft, acc)
	if c["reassigned"]+c["escalated"] > 0 {
		msg += fmt.Sprintf("; %d reassigned, %d escalated to the manager", c["reassigned"], c["escalated"])
	}
	return msg
}

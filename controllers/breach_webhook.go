package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/webhook"
)

// The webhook URL is read from the policy's Secret with the uncached API reader, one GET per policy per
// page of breaches: the manager never lists or watches Secrets, so it only needs get.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

func init() {
	metrics.Registry.MustRegister(webhook.Deliveries)
}

// BreachNotifier queues a breach notice for a webhook without blocking; *webhook.Notifier is one.
type BreachNotifier interface {
	Enqueue(rawURL string, b webhook.Breach) error
}

// webhookSecretKey is the key of the policy's Secret that holds the webhook URL.
const webhookSecretKey = "url"

// Event reasons of the breach webhook, on the policy.
const (
	reasonWebhookSecretMissing = "WebhookSecretMissing"
	reasonWebhookURLInvalid    = "WebhookURLInvalid"
)

// notifyBreachWebhooks queues one notice per committed breach (per lead and SLA) of every policy whose
// onBreach names a webhook Secret. A missing Secret, key or unusable URL is a Warning Event on the
// policy and a log line, never a failed pass: the breach itself is already recorded.
func (r *RouterReconciler) notifyBreachWebhooks(ctx context.Context, specs map[string]*leadopsv1.LeadPolicy, breaches []router.Breach, now time.Time) {
	if r.Notifier == nil {
		return
	}
	urls := map[string]string{} // policy key → webhook URL, "" when unusable (reported once per pass)
	for _, b := range breaches {
		policy := specs[b.Policy]
		if policy == nil || policy.Spec.SLA == nil || policy.Spec.SLA.OnBreach == nil || policy.Spec.SLA.OnBreach.WebhookSecretRef == nil {
			continue
		}
		u, seen := urls[b.Policy]
		if !seen {
			u = r.webhookURL(ctx, policy, policy.Spec.SLA.OnBreach.WebhookSecretRef.Name)
			urls[b.Policy] = u
		}
		if u == "" {
			continue
		}
		for _, s := range b.SLAs {
			n := webhook.Breach{Policy: b.Policy, LeadID: b.LeadID, SLA: string(s.Kind), Due: s.Due, DetectedAt: now,
				Action: string(b.Action), Reassignment: b.Reassignments}
			if err := r.Notifier.Enqueue(u, n); err != nil {
				ctrl.LoggerFrom(ctx).Info("breach notice not queued", "policy", b.Policy, "leadId", b.LeadID, "problem", err.Error())
			}
		}
	}
}

// webhookURL reads the policy's webhook Secret; "" (after a Warning Event and a log line) when the
// Secret, its key or its URL is unusable. The URL itself is never logged nor put in an Event.
func (r *RouterReconciler) webhookURL(ctx context.Context, policy *leadopsv1.LeadPolicy, name string) string {
	reader := r.SecretReader
	if reader == nil {
		reader = r.Client
	}
	u, p := readBreachWebhookURL(ctx, reader, policy, name)
	if p != nil {
		p.report(ctx, r.Recorder, policy, name)
	}
	return u
}

// breachWebhookProblem is why a policy's webhook Secret is unusable: a Warning Event (reason and
// message) and a log line (with the read error when there is one). None of it quotes the URL.
type breachWebhookProblem struct {
	reason, message, logLine string
	err                      error
}

func (p *breachWebhookProblem) report(ctx context.Context, rec events.EventRecorder, policy *leadopsv1.LeadPolicy, name string) {
	log := ctrl.LoggerFrom(ctx).WithValues("policy", client.ObjectKeyFromObject(policy).String(), "secret", name)
	if p.err != nil {
		log.Error(p.err, p.logLine)
	} else {
		log.Info(p.logLine)
	}
	if rec != nil {
		rec.Eventf(policy, nil, corev1.EventTypeWarning, p.reason, "NotifyBreach", "%s", p.message)
	}
}

// readBreachWebhookURL reads the URL of the policy's webhook Secret name, or says why it cannot.
func readBreachWebhookURL(ctx context.Context, reader client.Reader, policy *leadopsv1.LeadPolicy, name string) (string, *breachWebhookProblem) {
	sec := &corev1.Secret{}
	err := reader.Get(ctx, client.ObjectKey{Namespace: policy.Namespace, Name: name}, sec)
	switch {
	case apierrors.IsNotFound(err):
		return "", &breachWebhookProblem{reason: reasonWebhookSecretMissing, logLine: "breach webhook Secret not found; breach notices are not sent",
			message: fmt.Sprintf("Secret %s named by spec.sla.onBreach.webhookSecretRef does not exist: breach notices are not sent", name)}
	case err != nil:
		return "", &breachWebhookProblem{reason: reasonWebhookSecretMissing, err: err, logLine: "reading the breach webhook Secret; breach notices of this pass are not sent",
			message: fmt.Sprintf("Secret %s named by spec.sla.onBreach.webhookSecretRef could not be read (%s): breach notices are not sent",
				name, apierrors.ReasonForError(err))}
	}
	raw, ok := sec.Data[webhookSecretKey]
	if !ok || strings.TrimSpace(string(raw)) == "" {
		return "", &breachWebhookProblem{reason: reasonWebhookSecretMissing, logLine: "breach webhook Secret has no url key; breach notices are not sent",
			message: fmt.Sprintf("Secret %s has no key %q: breach notices are not sent", name, webhookSecretKey)}
	}
	if _, err := webhook.ParseURL(string(raw)); err != nil {
		return "", &breachWebhookProblem{reason: reasonWebhookURLInvalid, logLine: "breach webhook URL is unusable; breach notices are not sent (" + err.Error() + ")",
			message: fmt.Sprintf("Secret %s key %q is not an absolute http or https URL: breach notices are not sent", name, webhookSecretKey)}
	}
	return strings.TrimSpace(string(raw)), nil
}

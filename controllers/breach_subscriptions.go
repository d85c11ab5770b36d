package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	leadevents "github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/webhook"
)

// BreachSubscriptions turns every LeadPolicy whose spec.sla.onBreach.webhookSecretRef names a Secret
// into an event subscription (internal/events): the policy's breached events, in the breach webhook's
// own notice format, delivered at least once from the audit log instead of from the router's
// in-memory queue (see SetupOption BreachNoticesFromAuditLog). Its List is an events.SourceFunc.
//
// A subscription is named "leadpolicy/<namespace>/<name>" (its saved position in the store follows
// that name). The first time a process sees a policy's webhook, events older than that moment are
// skipped, so switching the path on does not replay a policy's whole breach history; once the
// subscription has saved a position, it resumes from there.
type BreachSubscriptions struct {
	// Client lists the LeadPolicies (the manager's cached client); SecretReader reads the Secrets
	// (uncached: the manager never lists or watches Secrets).
	Client       client.Reader
	SecretReader client.Reader
	Recorder     events.EventRecorder
	Clock        clock.Clock

	mu        sync.Mutex
	firstSeen map[string]time.Time // by policy key: when this process first saw its webhook
	problems  map[string]string    // by policy key: the Warning message last reported
}

// BreachSubscriptionName is the subscription name of a policy's breach webhook.
func BreachSubscriptionName(policyKey string) string { return "leadpolicy/" + policyKey }

// List returns a subscription per LeadPolicy with a usable webhook Secret. A Secret that is missing,
// has no url key or an unusable URL is a Warning Event on the policy and a log line when the problem
// first appears (not on every call), and leaves that policy without a subscription; an error reading
// a Secret (other than not found) is returned, so the policy's running subscription is kept.
func (b *BreachSubscriptions) List(ctx context.Context) ([]leadevents.Subscription, error) {
	var list leadopsv1.LeadPolicyList
	if err := b.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing LeadPolicies for their breach webhooks: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.firstSeen == nil {
		b.firstSeen, b.problems = map[string]time.Time{}, map[string]string{}
	}
	var subs []leadevents.Subscription
	var readErr error
	seen := map[string]bool{}
	for i := range list.Items {
		p := &list.Items[i]
		if p.Spec.SLA == nil || p.Spec.SLA.OnBreach == nil || p.Spec.SLA.OnBreach.WebhookSecretRef == nil {
			continue
		}
		key := client.ObjectKeyFromObject(p).String()
		seen[key] = true
		secret := p.Spec.SLA.OnBreach.WebhookSecretRef.Name
		raw, problem := readBreachWebhookURL(ctx, b.SecretReader, p, secret)
		if problem != nil {
			if problem.err != nil && readErr == nil {
				readErr = fmt.Errorf("reading the breach webhook Secret of LeadPolicy %s: %w", key, problem.err)
			}
			if b.problems[key] != problem.message {
				b.problems[key] = problem.message
				problem.report(ctx, b.Recorder, p, secret)
			}
			continue
		}
		delete(b.problems, key)
		u, err := webhook.ParseURL(raw)
		if err != nil {
			continue // readBreachWebhookURL checked it
		}
		first, ok := b.firstSeen[key]
		if !ok {
			first = b.Clock.Now()
			b.firstSeen[key] = first
		}
		subs = append(subs, leadevents.Subscription{
			Name: BreachSubscriptionName(key), Source: leadevents.DefaultSource, URL: u,
			Types: []string{lead.EventBreached}, Policies: []string{key},
			Format: leadevents.FormatBreachNotice, NotBefore: first,
		})
	}
	for key := range b.problems {
		if !seen[key] {
			delete(b.problems, key)
		}
	}
	return subs, readErr
}

package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/clock"
	leadevents "github.com/leadops/leadops/internal/events"
	"github.com/leadops/leadops/internal/lead"
)

// TestBreachSubscriptions: each policy with a usable webhook Secret becomes a breach-notice
// subscription for its own breaches; an unusable Secret is one Warning Event per problem (not one per
// reload) and no subscription, and the Warning names no URL.
func TestBreachSubscriptions(t *testing.T) {
	policy := func(name, secret string) *leadopsv1.LeadPolicy {
		p := &leadopsv1.LeadPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name}}
		p.Spec.SLA = &leadopsv1.HandoffSLA{OnBreach: &leadopsv1.BreachAction{}}
		if secret != "" {
			p.Spec.SLA.OnBreach.WebhookSecretRef = &leadopsv1.SecretReference{Name: secret}
		}
		return p
	}
	secret := func(name, url string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "sales", Name: name}, Data: map[string][]byte{"url": []byte(url)}}
	}
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(
		policy("inbound", "hook"), policy("outbound", "missing"), policy("partner", "bad"), policy("quiet", ""),
		secret("hook", "https://hooks.example.com/sla?token=s3cret\n"), secret("bad", "not a url"),
	).Build()
	rec := events.NewFakeRecorder(10)
	fc := &clock.Fake{}
	t0 := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	fc.Set(t0)
	b := &BreachSubscriptions{Client: c, SecretReader: c, Recorder: rec, Clock: fc}

	for range 3 { // reloads
		subs, err := b.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 1 {
			t.Fatalf("subscriptions %+v, want inbound's only", subs)
		}
		s := subs[0]
		if s.Name != "leadpolicy/sales/inbound" || s.Format != leadevents.FormatBreachNotice || s.URL.Query().Get("token") != "s3cret" ||
			len(s.Types) != 1 || s.Types[0] != lead.EventBreached || len(s.Policies) != 1 || s.Policies[0] != "sales/inbound" ||
			!s.NotBefore.Equal(t0) || len(s.Secrets) != 0 {
			t.Errorf("subscription %+v", s)
		}
		fc.Step(time.Minute) // NotBefore stays when this process first saw the webhook
	}
	close(rec.Events)
	var warnings []string
	for e := range rec.Events {
		warnings = append(warnings, e)
	}
	if len(warnings) != 2 {
		t.Fatalf("warnings %q, want one for the missing Secret and one for the bad URL", warnings)
	}
	for _, w := range warnings {
		if !strings.HasPrefix(w, "Warning ") || strings.Contains(w, "s3cret") || strings.Contains(w, "not a url") {
			t.Errorf("warning %q", w)
		}
	}
}

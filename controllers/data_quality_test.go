package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestDataQualityLowCondition: a policy that declares spec.dataQuality turns DataQualityLow True
// (MissingFields, naming the source, field and share) when one source sends too many of its leads
// without a country, False (WithinThreshold) while every source is complete enough, and carries no
// such condition without spec.dataQuality; Ready stays True throughout.
func TestDataQualityLowCondition(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			e := startEnv(t, backend, testNow)
			e.applySamples("team_", "leadpolicy")
			p := e.policy("inbound")
			eventuallyCondition(t, p, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			if meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionDataQualityLow) != nil {
				t.Fatalf("DataQualityLow without spec.dataQuality: %+v", p.Status.Conditions)
			}
			update(t, p, func() {
				p.Spec.DataQuality = &leadopsv1.DataQualityThreshold{MaxMissingPercent: 20,
					Fields: []leadopsv1.DataQualityField{"country", "duplicates"}, MinLeads: 3}
			})
			eventuallyCondition(t, p, leadopsv1.ConditionDataQualityLow, "False", leadopsv1.ReasonDataQualityOK)

			ctx := context.Background()
			add := func(ext, source, country string) {
				t.Helper()
				if _, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Email: ext + "@dq.example", Source: source,
					Country: country, Employees: 10, Score: 40}, "test"); err != nil {
					t.Fatal(err)
				}
			}
			// "web": 1 of 4 without a country (25%); "fair": 3 of 3 (100%); "tiny": under minLeads.
			for i, c := range []string{"US", "US", "DE", ""} {
				add(fmt.Sprintf("web-%d", i), "web", c)
			}
			for i := range 3 {
				add(fmt.Sprintf("fair-%d", i), "fair", "")
			}
			add("tiny-0", "tiny", "")
			for _, ext := range []string{"web-3", "fair-2", "tiny-0"} {
				l, err := e.store.GetLeadByExternalID(ctx, ext)
				if err != nil {
					t.Fatal(err)
				}
				e.eventuallyLead(l.ID, "disqualified by the inbound gate", func(l *lead.Lead) bool { return l.Stage == lead.StageDisqualified })
			}
			want := `over 20% in the last 168h0m0s: source "fair": 100% missing country (3 of 3); source "web": 25% missing country (1 of 4)`
			e.eventually(p, "DataQualityLow naming fair and web", func() bool {
				c := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionDataQualityLow)
				return c != nil && c.Message == want
			})
			c := eventuallyCondition(t, p, leadopsv1.ConditionDataQualityLow, "True", leadopsv1.ReasonMissingFields)
			if strings.Contains(c.Message, "tiny") || strings.Index(c.Message, "fair") > strings.Index(c.Message, "web") {
				t.Errorf("DataQualityLow message %q: want the worst first and sources under minLeads left out", c.Message)
			}
			if r := meta.FindStatusCondition(p.Status.Conditions, leadopsv1.ConditionReady); r == nil || r.Status != metav1.ConditionTrue {
				t.Errorf("Ready with DataQualityLow: %+v", r)
			}

			// A looser threshold clears it.
			update(t, p, func() { p.Spec.DataQuality.MaxMissingPercent = 100 })
			eventuallyCondition(t, p, leadopsv1.ConditionDataQualityLow, "False", leadopsv1.ReasonDataQualityOK)
		})
	}
}

// TestDataQualitySourceLabels: the metric keeps the largest sources by name and sums the rest as
// "other", so its cardinality is bounded whatever marketing tools send.
func TestDataQualitySourceLabels(t *testing.T) {
	m := func(n int64) map[string]int64 { return map[string]int64{store.FieldEmail: n} }
	got := sourceLabels([]store.SourceQuality{
		{Source: "web", Leads: 10, Missing: m(1)},
		{Source: "", Leads: 8, Missing: m(8)},
		{Source: "fair", Leads: 5, Missing: m(5)},
		{Source: "other", Leads: 3, Missing: m(0)},
		{Source: "ads", Leads: 2, Missing: m(1)},
	}, 2)
	var names []string
	for _, q := range got {
		names = append(names, fmt.Sprintf("%s=%d/%d", q.Source, q.Missing[store.FieldEmail], q.Leads))
	}
	if want := "web=1/10 none=8/8 other=6/10"; strings.Join(names, " ") != want {
		t.Errorf("sourceLabels = %v, want %s", names, want)
	}
}

package experiment

import (
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
)

func TestEvaluatorReport(t *testing.T) {
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	now := base.Add(100 * time.Hour)
	def := Definition{Arms: []string{"a", "b"}, Metric: ConversionRate, Secondary: []Metric{RevenuePerLead, TimeToFirstTouch},
		Confidence: 0.95, MinLeadsPerArm: 1, End: base.Add(50 * time.Hour)}
	ev := NewEvaluator(def, now)
	for _, l := range testLeads(base) {
		ev.Add(l.Policy, l)
	}
	ev.Add("gone", &lead.Lead{})
	r := ev.Report()
	if r.Unassigned != 1 {
		t.Errorf("unassigned %d, want 1", r.Unassigned)
	}
	if len(r.Secondary) != 2 || r.Secondary[0].Metric != RevenuePerLead || r.Secondary[1].Metric != TimeToFirstTouch {
		t.Fatalf("secondary %+v", r.Secondary)
	}
	// Arm a: 2 won of 10 routed (20%); b: 4 of 12 (33.3%). Revenue: a (1000+3000)/10, b (2000+4000+500+500)/12.
	if got := r.Primary.MetricSummary(); got != "20.0% / 33.3%" {
		t.Errorf("metric summary %q", got)
	}
	if got := r.Primary.Summary(); got != "a=12 b=14" {
		t.Errorf("summary %q", got)
	}
	if got := r.Primary.LeaderLift(); got != "+66.7%" {
		t.Errorf("lift %q", got)
	}
	if a, b := r.Secondary[0].Arms[0], r.Secondary[0].Arms[1]; a.Value != 400 || !near(b.Value, 7000.0/12, 1e-12) {
		t.Errorf("revenue per lead %v / %v", a.Value, b.Value)
	}
	if r.Primary.Reason != ReasonNoSignificantDifference {
		t.Errorf("reason %s: %s", r.Primary.Reason, r.Primary.Message)
	}
}

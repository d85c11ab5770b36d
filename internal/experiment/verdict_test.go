package experiment

import (
	"strings"
	"testing"
	"time"
)

func rate(name string, events, n int64) ArmSample {
	return ArmSample{Name: name, Leads: n, N: n, Events: events}
}

func values(name string, vs ...float64) ArmSample {
	return ArmSample{Name: name, Leads: int64(len(vs)), N: int64(len(vs)), Values: vs}
}

func repeat(vs []float64, times int) []float64 {
	var out []float64
	for i := 0; i < times; i++ {
		out = append(out, vs...)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(48*time.Hour)
	cases := []struct {
		name       string
		spec       Spec
		arms       []ArmSample
		reason     Reason
		winner     string
		inMessage  []string
		additional int64 // -1: unknown
	}{
		{
			name:   "below the minimum, even ended and clearly different",
			spec:   Spec{Metric: AcceptanceRate, Confidence: 0.95, MinLeadsPerArm: 100, End: past},
			arms:   []ArmSample{rate("control", 10, 99), rate("b", 60, 120)},
			reason: ReasonInsufficientData,
			inMessage: []string{"control has 99", "minimum 100 per arm",
				"No winner is declared before every arm has 100 routed leads and the experiment has ended"},
			additional: 1,
		},
		{
			name:   "enough data and significant, but not ended: no winner",
			spec:   Spec{Metric: AcceptanceRate, Confidence: 0.95, MinLeadsPerArm: 100, End: future},
			arms:   []ArmSample{rate("control", 60, 200), rate("b", 100, 200)},
			reason: ReasonRunning,
			inMessage: []string{"Running", "control 30.0% (control)", "b 50.0% (+66.7%", "significant at 95%",
				"it ends 2026-12-03T12:00:00Z (in 2 days)", "No winner is declared before"},
			additional: 0,
		},
		{
			name:      "no end set: running",
			spec:      Spec{Metric: AcceptanceRate, Confidence: 0.95, MinLeadsPerArm: 10},
			arms:      []ArmSample{rate("control", 60, 200), rate("b", 100, 200)},
			reason:    ReasonRunning,
			inMessage: []string{"no end is set"},
		},
		{
			name:   "clear winner after the end",
			spec:   Spec{Metric: AcceptanceRate, Confidence: 0.95, MinLeadsPerArm: 100, End: past},
			arms:   []ArmSample{rate("control", 60, 200), rate("b", 100, 200)},
			reason: ReasonWinner, winner: "b",
			inMessage: []string{"b wins on acceptance rate at 95% confidence: 50.0% (43.1%..56.9%) against 30.0% for control (the control arm), lift +66.7%, adjusted p<0.0001",
				"Holm-adjusted over 1 comparison"},
			additional: 0,
		},
		{
			name:   "equal arms: no significant difference",
			spec:   Spec{Metric: ConversionRate, Confidence: 0.95, MinLeadsPerArm: 100, Ended: true},
			arms:   []ArmSample{rate("control", 30, 300), rate("b", 30, 300)},
			reason: ReasonNoSignificantDifference,
			inMessage: []string{"No significant difference in conversion rate at 95% confidence",
				"b 10.0% (+0.0%, adjusted p=1, not significant)"},
			additional: -1, // no observed difference to size a test for
		},
		{
			name:   "small difference: no significant difference, with leads needed",
			spec:   Spec{Metric: AcceptanceRate, Confidence: 0.95, MinLeadsPerArm: 100, Ended: true},
			arms:   []ArmSample{rate("control", 45, 200), rate("b", 60, 200)},
			reason: ReasonNoSignificantDifference,
			// power.prop.test(p1=0.225, p2=0.30, power=0.8)$n = 539.08 → 540 per arm, 340 more.
			inMessage:  []string{"adjusted p=0.088", "About 340 more routed leads per arm"},
			additional: 340,
		},
		{
			name: "three arms, Holm: b significant alone but not after adjustment",
			spec: Spec{Metric: AcceptanceRate, Confidence: 0.95, MinLeadsPerArm: 100, Ended: true},
			// b vs control alone: p = 0.0497 (R prop.test above); with two comparisons its adjusted
			// p is 2 × 0.0497 = 0.099.
			arms:       []ArmSample{rate("control", 120, 1000), rate("b", 150, 1000), rate("c", 125, 1000)},
			reason:     ReasonNoSignificantDifference,
			inMessage:  []string{"b 15.0% (+25.0%, adjusted p=0.099", "Holm-adjusted over 2 comparisons"},
			additional: -2, // known, not checked
		},
		{
			name:       "control significantly better than the only other arm: the control wins",
			spec:       Spec{Metric: ConversionRate, Confidence: 0.95, MinLeadsPerArm: 100, Ended: true},
			arms:       []ArmSample{rate("control", 100, 200), rate("b", 60, 200)},
			reason:     ReasonWinner,
			winner:     "control",
			inMessage:  []string{"control (the control arm) wins on conversion rate"},
			additional: -2,
		},
		{
			name: "time to first touch: lower wins",
			spec: Spec{Metric: TimeToFirstTouch, Confidence: 0.95, MinLeadsPerArm: 30, Ended: true},
			arms: []ArmSample{
				values("sdr", repeat([]float64{1800, 2400, 3600, 5400, 7200, 900}, 10)...),
				values("ae", repeat([]float64{600, 900, 1200, 1800, 2400, 300}, 10)...),
			},
			reason: ReasonWinner, winner: "ae",
			inMessage:  []string{"ae wins on median time to first touch", "15m", "against 40m for sdr (the control arm)"},
			additional: 0,
		},
		{
			name: "revenue per lead: Welch, not significant",
			spec: Spec{Metric: RevenuePerLead, Confidence: 0.95, MinLeadsPerArm: 20, Ended: true},
			// Welch p = 0.4533 (R t.test above).
			arms:       []ArmSample{values("control", revenueA...), values("b", revenueB...)},
			reason:     ReasonNoSignificantDifference,
			inMessage:  []string{"revenue per lead", "control 495.00 (control)", "adjusted p=0.45"},
			additional: -2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(tc.spec, tc.arms, now)
			if v.Reason != tc.reason || v.Winner != tc.winner {
				t.Fatalf("reason %s winner %q, want %s %q\nmessage: %s", v.Reason, v.Winner, tc.reason, tc.winner, v.Message)
			}
			for _, s := range tc.inMessage {
				if !strings.Contains(v.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, v.Message)
				}
			}
			switch {
			case tc.additional == -1 && v.HasAdditional:
				t.Errorf("additional leads %d, want unknown", v.AdditionalLeadsNeeded)
			case tc.additional == -2 && !v.HasAdditional:
				t.Errorf("additional leads unknown, want an estimate")
			case tc.additional >= 0 && (!v.HasAdditional || v.AdditionalLeadsNeeded != tc.additional):
				t.Errorf("additional leads %d (known %v), want %d", v.AdditionalLeadsNeeded, v.HasAdditional, tc.additional)
			}
			if tc.reason != ReasonWinner && v.Winner != "" {
				t.Errorf("a winner %q with reason %s", v.Winner, v.Reason)
			}
		})
	}
}

func TestFiguresArms(t *testing.T) {
	arms := Figures(AcceptanceRate, 0.95, []ArmSample{rate("control", 45, 200), rate("b", 60, 200)})
	c, b := arms[0], arms[1]
	if c.HasLift || c.Test.Valid {
		t.Errorf("control has a lift or test: %+v", c)
	}
	// Wilson 45/200 from R: 0.172623697150891..0.287741232356605.
	if !near(c.Low, 17.2623697150891, 1e-9) || !near(c.High, 28.7741232356605, 1e-9) || c.Value != 22.5 {
		t.Errorf("control %v %v..%v", c.Value, c.Low, c.High)
	}
	if !near(b.Lift, 1.0/3, 1e-12) || !near(b.PAdjusted, 0.0882740962753776, 1e-9) || b.Better || b.Worse {
		t.Errorf("b: %+v", b)
	}
	if got := FormatInterval(AcceptanceRate, c.Low, c.High, c.HasInterval); got != "17.3%..28.8%" {
		t.Errorf("interval %q", got)
	}
	if got := FormatLift(b.Lift, b.HasLift); got != "+33.3%" {
		t.Errorf("lift %q", got)
	}
}

func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		161 * time.Hour:               "6 days 17 hours",
		49 * time.Hour:                "2 days 1 hour",
		3*time.Hour + 20*time.Minute:  "3h20m",
		47*time.Hour + 59*time.Minute: "47h59m",
		90 * time.Second:              "2m", // rounded to the minute
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestParseConfidence(t *testing.T) {
	for in, want := range map[string]float64{"": 0.95, "95": 0.95, "99.9": 0.999, "80": 0.8} {
		if got, err := ParseConfidence(in); err != nil || !near(got, want, 1e-12) {
			t.Errorf("ParseConfidence(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"100", "50", "x"} {
		if _, err := ParseConfidence(in); err == nil {
			t.Errorf("ParseConfidence(%q) accepted", in)
		}
	}
}

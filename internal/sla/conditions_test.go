package sla

import (
	"testing"
	"time"
)

func TestBreached(t *testing.T) {
	now := time.Date(2027, 1, 11, 12, 0, 0, 0, time.UTC)
	due := now.Add(-95 * time.Minute)
	cases := []struct {
		name       string
		ft, acc    int64
		oldest     *time.Time
		wantTrue   bool
		wantReason string
		wantMsg    string
	}{
		{"none", 0, 0, nil, false, "WithinSLA", "every open handoff is within its SLA"},
		{"first touch only", 2, 0, &due, true, "FirstTouchOverdue", "2 handoffs overdue (2 awaiting first touch, 0 awaiting accept or reject); the oldest is 1h35m past its deadline"},
		{"acceptance only", 0, 1, &due, true, "AcceptanceOverdue", "1 handoff overdue (0 awaiting first touch, 1 awaiting accept or reject); the oldest is 1h35m past its deadline"},
		{"both: first touch is the reason", 1, 3, nil, true, "FirstTouchOverdue", "4 handoffs overdue (1 awaiting first touch, 3 awaiting accept or reject)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Breached(tc.ft, tc.acc, tc.oldest, now)
			if c.True != tc.wantTrue || c.Reason != tc.wantReason || c.Message != tc.wantMsg {
				t.Fatalf("got %+v, want %v %s %q", c, tc.wantTrue, tc.wantReason, tc.wantMsg)
			}
		})
	}
}

func TestAtRisk(t *testing.T) {
	if c := AtRisk(0); c.True || c.Reason != "NoneAtRisk" {
		t.Fatalf("AtRisk(0) = %+v", c)
	}
	if c := AtRisk(3); !c.True || c.Reason != "WarningTimePassed" || c.Message != "3 handoffs past the warning time and approaching the deadline" {
		t.Fatalf("AtRisk(3) = %+v", c)
	}
}

func TestCompliance(t *testing.T) {
	cases := []struct {
		compliant, breached int64
		want                string
	}{
		{0, 0, ""},
		{10, 0, "100%"},
		{0, 4, "0%"},
		{39, 1, "97.5%"},
		{999, 1, "99.9%"},
		{9999, 1, "99.9%"}, // never rounds a miss up to 100%
		{1, 2, "33.3%"},
	}
	for _, tc := range cases {
		if got := Compliance(tc.compliant, tc.breached).String(); got != tc.want {
			t.Errorf("Compliance(%d, %d) = %q, want %q", tc.compliant, tc.breached, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	cases := map[time.Duration]string{
		0:                               "0s",
		45 * time.Second:                "45s",
		23*time.Minute + 10*time.Second: "23m",
		time.Hour:                       "1h",
		65 * time.Minute:                "1h5m",
		51 * time.Hour:                  "2d3h",
		48 * time.Hour:                  "2d",
		-90 * time.Second:               "1m",
	}
	for d, want := range cases {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

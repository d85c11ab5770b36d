package sla

import (
	"testing"
	"time"
)

func TestBreached(t *testing.T) {
	now := time.Date(2027, 1, 11, 12, 0, 0, 0, time.UTC)
	due := now.Add(-95 * time.Minute)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	const w = 15 * time.Minute
	cases := []struct {
		name       string
		in         Breaches
		wantTrue   bool
		wantReason string
		wantMsg    string
		wantClears time.Time
	}{
		{name: "none", in: Breaches{Window: w},
			wantReason: "WithinSLA", wantMsg: "every open handoff is within its SLA; no SLA breach in the last 15m"},
		{name: "window 0, nothing overdue", in: Breaches{},
			wantReason: "WithinSLA", wantMsg: "every open handoff is within its SLA"},
		{name: "first touch only", in: Breaches{FirstTouchOverdue: 2, OldestOverdueDue: &due}, wantTrue: true,
			wantReason: "FirstTouchOverdue", wantMsg: "2 handoffs overdue (2 awaiting first touch, 0 awaiting accept or reject); the oldest is 1h35m past its deadline"},
		{name: "acceptance only", in: Breaches{AcceptanceOverdue: 1, OldestOverdueDue: &due}, wantTrue: true,
			wantReason: "AcceptanceOverdue", wantMsg: "1 handoff overdue (0 awaiting first touch, 1 awaiting accept or reject); the oldest is 1h35m past its deadline"},
		{name: "both: first touch is the reason", in: Breaches{FirstTouchOverdue: 1, AcceptanceOverdue: 3}, wantTrue: true,
			wantReason: "FirstTouchOverdue", wantMsg: "4 handoffs overdue (1 awaiting first touch, 3 awaiting accept or reject)"},
		{name: "overdue only: the breach is not recorded yet", in: Breaches{FirstTouchOverdue: 1, OldestOverdueDue: &due, Window: w}, wantTrue: true,
			wantReason: "FirstTouchOverdue", wantMsg: "1 handoff overdue (1 awaiting first touch, 0 awaiting accept or reject); the oldest is 1h35m past its deadline; no SLA breach in the last 15m"},
		{name: "recent only", in: Breaches{Recent: 3, Newest: at(-2 * time.Minute), Window: w}, wantTrue: true,
			wantReason: "RecentlyBreached", wantMsg: "0 handoffs overdue; 3 leads breached their SLA in the last 15m, the newest 2m ago",
			wantClears: now.Add(13 * time.Minute)},
		{name: "recent, one lead, just now", in: Breaches{Recent: 1, Newest: at(0), Window: w}, wantTrue: true,
			wantReason: "RecentlyBreached", wantMsg: "0 handoffs overdue; 1 lead breached its SLA in the last 15m, the newest 0s ago",
			wantClears: now.Add(w)},
		{name: "overdue and recent: overdue sets the reason", in: Breaches{AcceptanceOverdue: 2, OldestOverdueDue: &due, Recent: 1, Newest: at(-10 * time.Minute), Window: w},
			wantTrue: true, wantReason: "AcceptanceOverdue",
			wantMsg:    "2 handoffs overdue (0 awaiting first touch, 2 awaiting accept or reject); the oldest is 1h35m past its deadline; 1 lead breached its SLA in the last 15m, the newest 10m ago",
			wantClears: now.Add(5 * time.Minute)},
		{name: "window 0: a recorded breach never holds the condition", in: Breaches{Recent: 1, Newest: at(0)},
			wantReason: "WithinSLA", wantMsg: "every open handoff is within its SLA"},
		{name: "window 0 while overdue", in: Breaches{FirstTouchOverdue: 1, Recent: 1, Newest: at(0)}, wantTrue: true,
			wantReason: "FirstTouchOverdue", wantMsg: "1 handoff overdue (1 awaiting first touch, 0 awaiting accept or reject)"},
		{name: "a microsecond before newest + window", in: Breaches{Recent: 1, Newest: at(-w + time.Microsecond), Window: w}, wantTrue: true,
			wantReason: "RecentlyBreached", wantMsg: "0 handoffs overdue; 1 lead breached its SLA in the last 15m, the newest 14m ago",
			wantClears: now.Add(time.Microsecond)},
		{name: "exactly at newest + window: clears, though the store's closed interval still counts it",
			in:         Breaches{Recent: 1, Newest: at(-w), Window: w},
			wantReason: "WithinSLA", wantMsg: "every open handoff is within its SLA; no SLA breach in the last 15m"},
		{name: "past the window", in: Breaches{Newest: at(-time.Hour), Window: w},
			wantReason: "WithinSLA", wantMsg: "every open handoff is within its SLA; no SLA breach in the last 15m"},
		{name: "window rendered as configured", in: Breaches{Recent: 2, Newest: at(-30 * time.Second), Window: 90 * time.Minute}, wantTrue: true,
			wantReason: "RecentlyBreached", wantMsg: "0 handoffs overdue; 2 leads breached their SLA in the last 1h30m, the newest 30s ago",
			wantClears: now.Add(90*time.Minute - 30*time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, clears := Breached(tc.in, now)
			if c.True != tc.wantTrue || c.Reason != tc.wantReason || c.Message != tc.wantMsg {
				t.Fatalf("got %+v, want %v %s %q", c, tc.wantTrue, tc.wantReason, tc.wantMsg)
			}
			if !clears.Equal(tc.wantClears) {
				t.Fatalf("clears at %v, want %v", clears, tc.wantClears)
			}
		})
	}
}

func TestFormatWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 10 * time.Second: "10s", 90 * time.Second: "1m30s", 15 * time.Minute: "15m",
		time.Hour: "1h", 168 * time.Hour: "168h", 90 * time.Minute: "1h30m", time.Hour + time.Second: "1h0m1s",
	} {
		if got := formatWindow(d); got != want {
			t.Errorf("formatWindow(%v) = %q, want %q", d, got, want)
		}
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

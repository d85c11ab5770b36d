package goals

import (
	"math"
	"testing"
	"time"
)

func TestFormatValue(t *testing.T) {
	tests := []struct {
		metric Metric
		in     float64
		want   string
	}{
		{MetricNewLeads, 30000, "30000"},
		{MetricNewLeads, 27400.6, "27401"},
		{MetricNewLeads, 0, "0"},
		{MetricNewLeads, math.Copysign(0, -1), "0"},
		{MetricNewLeads, -0.4, "0"},
		{MetricWonDeals, 1e9, "1000000000"},
		{MetricWonDeals, 1e21, "1000000000000000000000"},
		{MetricNewLeads, math.NaN(), ""},
		{MetricNewLeads, math.Inf(1), ""},
		{MetricRevenue, 12.5, "12.5"},
		{MetricRevenue, 12.499, "12.5"},
		{MetricRevenue, 12.3456, "12.35"},
		{MetricRevenue, 0.1 + 0.2, "0.3"},
		{MetricRevenue, 30000, "30000"},
		{MetricRevenue, -12.5, "-12.5"},
		{MetricConversionRate, 92.5, "92.5"},
		{MetricConversionRate, 100.0 / 3, "33.33"},
		{MetricSLACompliance, 100, "100"},
		{MetricTimeToFirstTouch, 1650, "27m30s"},
		{MetricTimeToFirstTouch, 1800, "30m"},
		{MetricTimeToFirstTouch, 1800.4, "30m"},
		{MetricTimeToFirstTouch, 3600, "1h"},
		{MetricTimeToFirstTouch, 3900, "1h5m"},
		{MetricTimeToFirstTouch, 3605, "1h5s"},
		{MetricTimeToFirstTouch, 90061, "25h1m1s"},
		{MetricTimeToFirstTouch, 5, "5s"},
		{MetricTimeToFirstTouch, 0, "0s"},
		{MetricTimeToFirstTouch, 0.45, "450ms"},
		{MetricTimeToFirstTouch, 0.0001, "0s"},
		{MetricTimeToFirstTouch, 0.9996, "1s"},
		{MetricTimeToFirstTouch, -90, "-1m30s"},
		{MetricTimeToFirstTouch, math.NaN(), ""},
		{MetricTimeToFirstTouch, math.Inf(-1), ""},
	}
	for _, tc := range tests {
		if got := FormatValue(tc.metric, tc.in); got != tc.want {
			t.Errorf("FormatValue(%s, %v) = %q, want %q", tc.metric, tc.in, got, tc.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.45, "45%"},
		{0, "0%"},
		{1, "100%"},
		{0.004, "1%"},
		{0.996, "99%"},
		{0.9999999, "99%"},
		{0.5049, "50%"},
		{1.3, "130%"},
		{1.004, "100%"},
		{12.345, "1235%"},
		{-0.2, "-20%"},
		{-0.001, "0%"},
		{math.NaN(), ""},
		{math.Inf(1), ""},
	}
	for _, tc := range tests {
		if got := FormatPercent(tc.in); got != tc.want {
			t.Errorf("FormatPercent(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := []struct {
		metric Metric
		in     string
		want   float64
	}{
		{MetricNewLeads, "30000", 30000},
		{MetricRevenue, "12.5", 12.5},
		{MetricRevenue, "-12.5", -12.5},
		{MetricTimeToFirstTouch, "27m30s", 1650},
		{MetricTimeToFirstTouch, "450ms", 0.45},
	}
	for _, tc := range good {
		if got, err := ParseValue(tc.metric, tc.in); err != nil || got != tc.want {
			t.Errorf("ParseValue(%s, %q) = %v, %v; want %v", tc.metric, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		metric Metric
		in     string
	}{
		{MetricNewLeads, ""}, {MetricNewLeads, "NaN"}, {MetricNewLeads, "Inf"}, {MetricNewLeads, "1e400"},
		{MetricNewLeads, "30,000"}, {MetricNewLeads, "0x10"}, {MetricNewLeads, "30k"}, {MetricNewLeads, "1.2.3"},
		{MetricTimeToFirstTouch, "30"}, {MetricTimeToFirstTouch, "1d"},
	} {
		if got, err := ParseValue(tc.metric, tc.in); err == nil {
			t.Errorf("ParseValue(%s, %q) = %v, want an error", tc.metric, tc.in, got)
		}
	}
	if got, err := ParsePercent("45%"); err != nil || got != 0.45 {
		t.Errorf("ParsePercent(45%%) = %v, %v", got, err)
	}
	for _, in := range []string{"45", "%", "abc%", "NaN%"} {
		if _, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q): want an error", in)
		}
	}
}

// Formatting round-trips: what FormatValue shows parses back to the value rounded to what it shows.
func TestFormatRoundTrip(t *testing.T) {
	values := []float64{0, 0.004, 0.5, 1, 1.005, 2.675, 12.3456, 99.995, 100, 1234.5, 27400.6, 1e6 + 0.25, 123456789.129}
	for _, m := range Metrics {
		for _, v := range values {
			s := FormatValue(m, v)
			got, err := ParseValue(m, s)
			if err != nil {
				t.Fatalf("%s %v: %q does not parse: %v", m, v, s, err)
			}
			want := round(v, m.decimals())
			if m.IsDuration() {
				want = math.Round(v)
				if v > 0 && v < 0.5 {
					want = math.Round(v*1000) / 1000
				}
			}
			if math.Abs(got-want) > 1e-9*math.Max(1, want) {
				t.Errorf("%s %v: %q parses to %v, want %v", m, v, s, got, want)
			}
			if FormatValue(m, got) != s {
				t.Errorf("%s %v: %q is not stable", m, v, s)
			}
		}
	}
	for share := 0.0; share <= 2; share += 0.0137 {
		s := FormatPercent(share)
		got, err := ParsePercent(s)
		if err != nil || math.Abs(got-share) > 0.01 {
			t.Errorf("FormatPercent(%v) = %q parses to %v, %v", share, s, got, err)
		}
	}
	for _, d := range []time.Duration{0, time.Millisecond, 400 * time.Millisecond, time.Second, 90 * time.Minute, 49*time.Hour + 7*time.Second} {
		s := FormatValue(MetricTimeToFirstTouch, FromDuration(d))
		back, err := time.ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("%s formats as %q, which parses to %s, %v", d, s, back, err)
		}
		if ToDuration(FromDuration(d)) != d {
			t.Errorf("ToDuration(FromDuration(%s)) = %s", d, ToDuration(FromDuration(d)))
		}
	}
	if ToDuration(math.NaN()) != 0 || ToDuration(1e300) != math.MaxInt64 || ToDuration(-1e300) != math.MinInt64 {
		t.Error("ToDuration does not saturate")
	}
}

func TestHumanAndGap(t *testing.T) {
	tests := []struct {
		metric Metric
		in     float64
		want   string
	}{
		{MetricNewLeads, 27400, "27,400"},
		{MetricNewLeads, 999, "999"},
		{MetricNewLeads, 1000, "1,000"},
		{MetricNewLeads, -1234, "-1,234"},
		{MetricNewLeads, 1234567, "1,234,567"},
		{MetricRevenue, 1234567.5, "1,234,567.5"},
		{MetricSLACompliance, 92.5, "92.5%"},
		{MetricTimeToFirstTouch, 1650, "27m30s"},
		{MetricRevenue, math.NaN(), "unknown"},
	}
	for _, tc := range tests {
		if got := human(tc.metric, tc.in); got != tc.want {
			t.Errorf("human(%s, %v) = %q, want %q", tc.metric, tc.in, got, tc.want)
		}
	}
	for in, want := range map[float64]string{-0.087: "-8.7%", 0.11667: "+11.7%", 0: "+0.0%", -0.00001: "+0.0%", -1: "-100.0%"} {
		if got := signedShare(in); got != want {
			t.Errorf("signedShare(%v) = %q, want %q", in, got, want)
		}
	}
}

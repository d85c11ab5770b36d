package retry

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0.999999, time.Second - time.Microsecond},
		{1, 0, 0},
		{2, 0.5, time.Second},
		{4, 0.5, 4 * time.Second},
		{10, 1, time.Minute}, // capped
		{1000, 0.5, 30 * time.Second},
		{0, 0.5, 500 * time.Millisecond},
		{3, 1.5, 4 * time.Second}, // a jitter above 1 is 1
		{3, -1, 0},
	} {
		got := Backoff(tc.attempt, time.Second, time.Minute, tc.jitter)
		if got.Round(time.Millisecond) != tc.want.Round(time.Millisecond) {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tc.attempt, tc.jitter, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false}, // overflows int64: unusable
		{"9223372036854775807", time.Duration(1<<63 - 1), true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		got, ok := RetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

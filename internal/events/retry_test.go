package events

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
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		got, ok := RetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	for status, want := range map[int]Outcome{
		200: OutcomeDelivered, 204: OutcomeDelivered, 410: OutcomeGone, 429: OutcomeRateLimited,
		500: OutcomeServerError, 503: OutcomeServerError, 400: OutcomeClientError, 404: OutcomeClientError,
		301: OutcomeClientError,
	} {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %s, want %s", status, got, want)
		}
	}
}

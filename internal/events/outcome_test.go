package events

import "testing"

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

package events

import "net/http"

// Outcome classifies one delivery attempt; its value is the attempts metric's result label.
type Outcome string

const (
	OutcomeDelivered   Outcome = "delivered"    // 2xx: acknowledged
	OutcomeGone        Outcome = "gone"         // 410: the receiver asks to stop; the subscription is disabled
	OutcomeRateLimited Outcome = "rate_limited" // 429: retried, after Retry-After when given
	OutcomeServerError Outcome = "server_error" // 5xx: retried, after Retry-After when given
	OutcomeClientError Outcome = "client_error" // other 4xx, and 1xx/3xx: retried (see Classify)
	OutcomeNetwork     Outcome = "network_error"
)

// Classify maps a response status to an outcome. Every non-2xx but 410 is retried, as the Standard
// Webhooks guidance says: delivery is at least once, so an event is never dropped because a receiver
// refused it; the subscription waits (its lag grows, its client_error attempts count) until the
// receiver accepts it, answers 410, or the subscription is changed or removed. A redirect is not
// followed (it could carry the event, and a token, elsewhere) and counts as a client error.
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return OutcomeDelivered
	case status == http.StatusGone:
		return OutcomeGone
	case status == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case status >= 500:
		return OutcomeServerError
	default:
		return OutcomeClientError
	}
}

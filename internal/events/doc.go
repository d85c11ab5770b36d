// Package events sends every lead event of the audit log (created, qualified, routed, breached…) to
// webhook subscriptions as CloudEvents 1.0 structured JSON, signed the Standard Webhooks way, at least
// once and in audit-log order.
//
// The pure parts are the envelope (Envelope: which audit data leaves the store, by an allowlist per
// event type), the signature (Sign), the subscription file (Parse / Load) and the retry schedule
// (Backoff, RetryAfter). The glue is a Deliverer per subscription, which follows the store's event feed
// from the subscription's saved cursor, and the Service, a leader-only manager Runnable that reloads
// the subscription file and runs one Deliverer per subscription.
//
// Webhook URLs may hold tokens (query string, userinfo) and secrets sign the bodies, so neither is ever
// logged, put in an error message or a metric label: logs name the subscription and the URL's host.
package events

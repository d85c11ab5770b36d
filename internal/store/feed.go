package store

import (
	"errors"

	"github.com/leadops/leadops/internal/lead"
)

// FeedQuery asks for audit events after a position.
type FeedQuery struct {
	After string   // opaque position from a previous FeedPage.Next; "" = from the beginning
	Types []string // audit event types (lead.Event* values: created, routed, breached…); empty = all
	Limit int      // clamp with FeedPageSize(limit): default 100, max 1000
}

// FeedPage is one page of the feed: events in feed order (oldest first) and the position after them.
// Next advances past events filtered out by Types too, so a consumer never rescans them. When nothing
// new is committed, Events is empty and Next == the query's After (or the current start when After was "").
//
// A page may hold fewer events than the limit, even none, while Next moved on: with Types, one call
// scans a bounded number of events (FeedScanBudget) and stops there. The feed is caught up only when
// Next equals the position asked for; until then a consumer calls again with Next at once.
type FeedPage struct {
	Events []AuditEvent
	Next   string
}

// ErrCursorExpired (errors.Is) — the position is not of this store (another store/epoch) or no longer served:
// the API answers 410 Gone; a consumer must restart from "" or from a position it saves.
//
// A string that is no feed position at all (not base64url JSON of one) is ErrBadCursor instead: the
// caller sent something the store never handed out, a bug to fix rather than a position to give up.
var ErrCursorExpired = errors.New("feed position expired")

// Feed page sizes.
const (
	DefaultFeedPageSize = 100
	MaxFeedPageSize     = 1000
	// FeedScanBudget bounds the events one EventsAfter call reads when Types filters: a consumer of a
	// rare type far behind gets an empty page whose Next moved on, rather than a call that reads the
	// whole log.
	FeedScanBudget = 10000
)

// FeedPageSize clamps a requested limit to [1, MaxFeedPageSize], DefaultFeedPageSize when unset.
func FeedPageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultFeedPageSize
	case limit > MaxFeedPageSize:
		return MaxFeedPageSize
	}
	return limit
}

// EventTypes lists every audit event type the store and its writers record (the lead.Event*
// constants), in lifecycle order: the values a feed's Types filter can name. A test holds it equal to
// the constants declared in package lead.
var EventTypes = []string{
	lead.EventCreated, lead.EventUpdated,
	lead.EventQualified, lead.EventDisqualified, lead.EventQueued, lead.EventRouted,
	lead.EventTouched, lead.EventAccepted, lead.EventRejected, lead.EventWon, lead.EventLost,
	lead.EventBreached, lead.EventReassigned, lead.EventEscalated,
	lead.EventDuplicate, lead.EventDuplicateAttached, lead.EventDuplicateHandled,
	lead.EventErased,
}

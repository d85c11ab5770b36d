package writeback

import (
	"errors"

	"github.com/leadops/leadops/internal/store"
)

// FeedQuery and FeedPage mirror store.FeedQuery and store.FeedPage of the shared contract until the
// store's feed lands; then they go and the worker names the store's types.
type FeedQuery struct {
	After string
	Types []string
	Limit int
}

type FeedPage struct {
	Events []store.AuditEvent
	Next   string
}

// ErrCursorExpired mirrors store.ErrCursorExpired.
var ErrCursorExpired = errors.New("feed position expired")

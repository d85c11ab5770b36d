package api

import (
	"time"

	"github.com/leadops/leadops/internal/store"
)

// The API's own limits, each defined here once: what one request may carry and how long the server
// waits for it. The limits on the values inside a body (field lengths, score, attributes, reason)
// are the input rules of internal/validate, shared with the CSV import; the store's own, wider
// bounds are in internal/store. docs/api/openapi.yaml repeats the documented ones as literals, and
// a test holds them equal to these constants.
const (
	// DefaultMaxBodyBytes is the largest request body when Options.MaxBodyBytes is zero; larger
	// bodies get 413. A full batch (MaxBatchSize leads with typical attributes) fits comfortably.
	DefaultMaxBodyBytes = 4 << 20
	// MaxHeaderBytes bounds a request's header lines (http.Server.MaxHeaderBytes); larger headers get 431.
	MaxHeaderBytes = 64 << 10
	// MaxBatchSize bounds one batch upsert: one transaction must stay short for the store's other
	// users. Within the store's own store.MaxBatchSize.
	MaxBatchSize = 1000
	// DefaultPageSize is the page size of a list without ?limit=; MaxPageSize is the largest ?limit=
	// accepted. Within the store's own store.MaxPageSize.
	DefaultPageSize = 50
	MaxPageSize     = 500
	// DefaultEventsPageSize and MaxEventsPageSize bound GET /v1/events?limit=, the store's feed
	// page sizes; MaxEventsWait bounds its long poll (?wait=).
	DefaultEventsPageSize = store.DefaultFeedPageSize
	MaxEventsPageSize     = store.MaxFeedPageSize
	MaxEventsWait         = 60 * time.Second
)

// How long the server waits for a client (http.Server timeouts).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

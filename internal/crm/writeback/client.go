package writeback

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/crm"
)

// Update sets one CRM record's owner.
type Update struct {
	Record Record
	// OwnerID is the CRM user id (HubSpot owner id, Salesforce user id).
	OwnerID string
}

// Outcome is the CRM's answer for one Update.
type Outcome struct {
	OK bool
	// Code says why it failed: the CRM's error code (INVALID_CROSS_REFERENCE_KEY, VALIDATION_ERROR)
	// or the HTTP status. Never a value from the record.
	Code string
}

// CRM writes owners to one connection's CRM. WriteOwners answers one Outcome per Update, in order;
// an error means the batch as a whole was not acknowledged (unreachable, rate limited for too long,
// credentials refused) and must be sent again later.
type CRM interface {
	// MaxBatch is the most updates one WriteOwners call takes.
	MaxBatch() int
	WriteOwners(ctx context.Context, us []Update) ([]Outcome, error)
	// LookupUser finds the CRM user id of an email; found is false when no active user has it.
	LookupUser(ctx context.Context, email string) (id string, found bool, err error)
}

// ClientOptions tune the HTTP side of a CRM client; zero values take the defaults.
type ClientOptions struct {
	HTTPClient *http.Client
	Clock      clock.Clock
	// Sleep replaces the real wait between retries (tests observe the waits through it).
	Sleep func(ctx context.Context, d time.Duration) error
	// Backoff is the first retry's wait (default 1s), doubling up to MaxBackoff (default 1m).
	Backoff, MaxBackoff time.Duration
	// Retries of a 5xx or network error within one call (default 4).
	Retries int
	// RateLimitWaits is how many rate-limit answers in a row one call waits out (default 10).
	RateLimitWaits int
}

// NewCRM returns the client of conn's CRM, its calls limited to the connection's writeBack
// ratePerSecond (default 10, burst of the same size rounded up).
func NewCRM(conn crm.Connection, o ClientOptions) CRM {
	a := newAPI(conn, o)
	if conn.CRM == crm.Salesforce {
		return &salesforce{api: a, conn: conn}
	}
	return &hubspot{api: a, conn: conn}
}

func newAPI(conn crm.Connection, o ClientOptions) *api {
	rps := float64(crm.DefaultWriteBackRatePerSecond)
	if conn.WriteBack != nil && conn.WriteBack.RatePerSecond > 0 {
		rps = conn.WriteBack.RatePerSecond
	}
	a := &api{conn: conn.Name, client: o.HTTPClient, clock: o.Clock, sleep: o.Sleep,
		backoff: o.Backoff, maxBackoff: o.MaxBackoff, retries: o.Retries, rateLimitWaits: o.RateLimitWaits,
		limiter: rate.NewLimiter(rate.Limit(rps), max(1, int(rps+0.999)))}
	if a.client == nil {
		a.client = &http.Client{Timeout: 30 * time.Second}
	}
	if a.clock == nil {
		a.clock = clock.Real{}
	}
	if a.sleep == nil {
		a.sleep = sleepCtx
	}
	if a.backoff <= 0 {
		a.backoff = time.Second
	}
	if a.maxBackoff <= 0 {
		a.maxBackoff = time.Minute
	}
	if a.retries <= 0 {
		a.retries = 4
	}
	if a.rateLimitWaits <= 0 {
		a.rateLimitWaits = 10
	}
	return a
}

package crm

import (
	"container/list"
	"sync"
	"time"
)

// WrittenOwners remembers the owner values leadops wrote to CRM records, so inbound recognises the
// CRM's notification of that write (a HubSpot propertyChange of hubspot_owner_id, a Salesforce
// outbound message after an OwnerId update) as an echo and does not apply it: no loop between
// write-back and inbound.
//
// The write-back worker calls Wrote just BEFORE it sends the write (the CRM's notification can arrive
// before the write call returns); inbound calls IsEcho. Keys are
// lead externalIds (hubspot:contact:123); values are the CRM's owner ids, which are not personal data.
type WrittenOwners interface {
	// Wrote records that leadops set the owner field of the record behind externalID to crmOwner.
	Wrote(externalID, crmOwner string)
	// IsEcho reports whether field=value on the record behind externalID is what leadops last
	// wrote there (only the owner field ever is).
	IsEcho(externalID, field, value string) bool
}

// Default bounds of the in-memory WrittenOwners.
const (
	DefaultEchoTTL      = 24 * time.Hour
	DefaultEchoCapacity = 100_000
)

// EchoCache is the in-memory WrittenOwners: a least-recently-written list bounded in size, entries
// expiring after a TTL (CRMs deliver within minutes; Salesforce retries up to 24 hours). It is per
// process: write-back and the inbound endpoints run in the same manager process. With several
// replicas behind the API Service, a webhook may reach a replica that did not write: the echo then is
// not recognised, which costs one unchanged upsert (no new lead version, see Ingest), never a loop,
// since write-back reacts to routing events, not to upserts.
type EchoCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	cap   int
	now   func() time.Time
	order *list.List // front = most recent; values are *echoEntry
	byID  map[string]*list.Element
}

type echoEntry struct {
	id, owner string
	at        time.Time
}

// NewEchoCache returns an empty cache; ttl and capacity take the defaults when zero; now is the clock
// (time.Now when nil).
func NewEchoCache(ttl time.Duration, capacity int, now func() time.Time) *EchoCache {
	if ttl <= 0 {
		ttl = DefaultEchoTTL
	}
	if capacity <= 0 {
		capacity = DefaultEchoCapacity
	}
	if now == nil {
		now = time.Now
	}
	return &EchoCache{ttl: ttl, cap: capacity, now: now, order: list.New(), byID: map[string]*list.Element{}}
}

// Wrote implements WrittenOwners.
func (c *EchoCache) Wrote(externalID, crmOwner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[externalID]; ok {
		e := el.Value.(*echoEntry)
		e.owner, e.at = crmOwner, c.now()
		c.order.MoveToFront(el)
		return
	}
	c.byID[externalID] = c.order.PushFront(&echoEntry{id: externalID, owner: crmOwner, at: c.now()})
	for c.order.Len() > c.cap {
		oldest := c.order.Back()
		delete(c.byID, oldest.Value.(*echoEntry).id)
		c.order.Remove(oldest)
	}
}

// IsEcho implements WrittenOwners. Inbound asks only about the connection's owner field (the one
// write-back writes), so field is not compared.
func (c *EchoCache) IsEcho(externalID, field, value string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[externalID]
	if !ok {
		return false
	}
	e := el.Value.(*echoEntry)
	if c.now().Sub(e.at) > c.ttl {
		delete(c.byID, externalID)
		c.order.Remove(el)
		return false
	}
	return e.owner == value
}

// NoEchoes is the WrittenOwners of a process without write-back: nothing is an echo.
type NoEchoes struct{}

func (NoEchoes) Wrote(string, string)               {}
func (NoEchoes) IsEcho(string, string, string) bool { return false }

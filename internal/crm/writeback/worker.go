package writeback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// Feed is what the worker reads from the lead store: the audit log as a feed, its own cursor, and
// the change notifications that wake it.
type Feed interface {
	EventsAfter(ctx context.Context, q store.FeedQuery) (store.FeedPage, error)
	LoadCursor(ctx context.Context, consumer string) (string, error)
	SaveCursor(ctx context.Context, consumer, position string) error
	Subscribe(ctx context.Context) (<-chan store.Change, error)
}

// Leads reads the lead an event is about, for its external id and team.
type Leads interface {
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
}

// Roster maps a member of a team ("namespace/name") to their CRM user (an id or an email); ok is
// false when the team or member is unknown or has no crmUser, and the member name is used as the
// CRM user id. The controller fills it from Team objects.
type Roster func(team, member string) (crmUser string, ok bool)

// Echoes is told which owner write-back sets on a record (crm.WrittenOwners), so the inbound side
// recognises the CRM's notification of it as leadops' own echo.
type Echoes interface {
	Wrote(externalID, crmOwner string)
}

// Worker writes the owners of one connection's leads to its CRM. It runs on the elected leader
// only; one per connection with writeBack.enabled.
type Worker struct {
	Conn   crm.Connection
	CRM    CRM
	Feed   Feed
	Leads  Leads
	Roster Roster
	// Echoes may be nil (no inbound side in this process).
	Echoes Echoes
	// Health receives what the worker achieves, for the CRMWriteBack condition; may be nil.
	Health *Registry
	Clock  clock.Clock
	Log    logr.Logger
	// Poll is the backstop between passes when no change notification comes (default 30s).
	Poll time.Duration
	// Attempts is how often a record the CRM refuses is tried before it is given up on (default 3).
	Attempts int
	// RetryWait is the first wait before trying refused records or a failed batch again
	// (default 2s), doubling up to MaxRetryWait (default 5m).
	RetryWait, MaxRetryWait time.Duration

	users userCache
}

// Consumer is the worker's cursor name in the lead store, writeback/<crm>/<connection> as the
// store's contract names it (writeback/hubspot/hubspot-main): a connection pointed at another CRM
// starts a cursor of its own.
func (w *Worker) Consumer() string {
	return "writeback/" + strings.ToLower(string(w.Conn.CRM)) + "/" + w.Conn.Name
}

// NeedLeaderElection is true: two replicas writing the same owners would only waste API calls,
// but the cursor has one writer this way.
func (w *Worker) NeedLeaderElection() bool { return true }

func (w *Worker) defaults() {
	if w.Clock == nil {
		w.Clock = clock.Real{}
	}
	if w.Poll <= 0 {
		w.Poll = 30 * time.Second
	}
	if w.Attempts <= 0 {
		w.Attempts = 3
	}
	if w.RetryWait <= 0 {
		w.RetryWait = 2 * time.Second
	}
	if w.MaxRetryWait <= 0 {
		w.MaxRetryWait = 5 * time.Minute
	}
}

// Start follows the feed until ctx ends: a pass on every change notification, on the poll timer,
// and after a failed pass with growing waits.
func (w *Worker) Start(ctx context.Context) error {
	w.defaults()
	changes, err := w.Feed.Subscribe(ctx)
	if err != nil {
		// Without notifications the poll timer still finds every change, later.
		w.Log.Error(err, "subscribing to lead store changes failed; polling only", "connection", w.Conn.Name, "every", w.Poll.String())
		changes = nil
	}
	wait := time.Duration(0)
	for {
		if err := w.Sync(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait = min(max(wait*2, w.RetryWait), w.MaxRetryWait)
			w.Log.Error(err, "write-back pass failed; retrying", "connection", w.Conn.Name, "in", wait.String())
			if sleepCtx(ctx, wait) != nil {
				return nil
			}
			continue
		}
		wait = 0
		poll := time.NewTimer(w.Poll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return nil
		case _, ok := <-changes:
			if !ok {
				changes = nil // the subscription ended: the poll timer carries on alone
			}
		case <-poll.C:
		}
		poll.Stop()
	}
}

// Sync writes every owner change after the saved cursor, page by page, saving the cursor after
// each page the CRM acknowledged. It returns when the feed has nothing more (nil) or a page could
// not be written (the cursor stays before it, so the page is read again next time).
func (w *Worker) Sync(ctx context.Context) error {
	w.defaults()
	cursor, err := w.Feed.LoadCursor(ctx, w.Consumer())
	if err != nil {
		return fmt.Errorf("write-back %s: loading the cursor: %w", w.Conn.Name, err)
	}
	for {
		page, err := w.Feed.EventsAfter(ctx, store.FeedQuery{After: cursor, Types: OwnerEventTypes, Limit: w.CRM.MaxBatch()})
		if errors.Is(err, store.ErrCursorExpired) {
			// The store no longer serves the saved position (restored from a backup, another
			// store): start over. Owners already written are written again, which is harmless.
			w.Log.Info("write-back cursor expired; reading the feed from the beginning", "connection", w.Conn.Name)
			cursor = ""
			continue
		}
		if err != nil {
			return fmt.Errorf("write-back %s: reading the feed: %w", w.Conn.Name, err)
		}
		if len(page.Events) == 0 && (page.Next == cursor || page.Next == "") {
			// Caught up. (An empty page whose Next moved on only skipped other events: go on.)
			writeBackLag.WithLabelValues(w.Conn.Name).Set(0)
			return nil
		}
		items, err := w.prepare(ctx, page.Events)
		if err != nil {
			return err
		}
		if err := w.write(ctx, items); err != nil {
			return err
		}
		if err := w.Feed.SaveCursor(ctx, w.Consumer(), page.Next); err != nil {
			return fmt.Errorf("write-back %s: saving the cursor: %w", w.Conn.Name, err)
		}
		cursor = page.Next
	}
}

// item is one record to write, from the latest owner change of its lead in the page.
type item struct {
	Update
	LeadID   string
	Policy   string
	At       time.Time
	attempts int
}

// prepare turns a page of events into the updates of this connection's CRM: one per record (the
// latest change wins), owners mapped to CRM users. Leads of another CRM, or without a CRM
// external id, are left out.
func (w *Worker) prepare(ctx context.Context, evs []store.AuditEvent) ([]*item, error) {
	var items []*item
	byRecord := map[Record]*item{}
	for _, ev := range evs {
		ch, ok := OwnerChangeOf(ev)
		if !ok {
			continue
		}
		l, err := w.Leads.GetLead(ctx, ch.LeadID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("write-back %s: reading lead %s: %w", w.Conn.Name, ch.LeadID, err)
		}
		rec, ok := ParseExternalID(l.ExternalID)
		if !ok || rec.CRM != w.Conn.CRM {
			continue
		}
		team := ch.Team
		if team == "" {
			team = l.Team
		}
		if ch.Policy == "" {
			ch.Policy = l.Policy
		}
		user := ch.Owner
		if w.Roster != nil {
			if u, ok := w.Roster(team, ch.Owner); ok && u != "" {
				user = u
			}
		}
		if strings.Contains(user, "@") {
			id, found, err := w.users.lookup(ctx, w.CRM, user, w.Clock.Now())
			if err != nil {
				w.Health.Blocked(ch.Policy, w.Conn.Name, "looking up a member's CRM user failed")
				return nil, fmt.Errorf("write-back %s: looking up the CRM user of member %s: %w", w.Conn.Name, ch.Owner, err)
			}
			if !found {
				// The member's crmUser email has no active user in the CRM: nothing to write
				// until the Team is fixed. Member names are Kubernetes object data, not a lead's.
				w.Log.Info("no CRM user has the crmUser email of a member; owner not written", "connection", w.Conn.Name,
					"lead", ch.LeadID, "team", team, "member", ch.Owner)
				writeBackTotal.WithLabelValues(w.Conn.Name, "skipped").Inc()
				w.Health.Failed(ch.Policy, w.Conn.Name, "NO_CRM_USER", w.Clock.Now())
				continue
			}
			user = id
		}
		it := &item{Update: Update{Record: rec, OwnerID: user}, LeadID: ch.LeadID, Policy: ch.Policy, At: ch.At}
		if prev := byRecord[rec]; prev != nil {
			prev.OwnerID, prev.LeadID, prev.Policy = it.OwnerID, it.LeadID, it.Policy
			continue
		}
		byRecord[rec] = it
		items = append(items, it)
	}
	return items, nil
}

// write sends items in batches until each is acknowledged or given up on. A batch the CRM does not
// acknowledge as a whole returns an error: nothing of the page is skipped.
func (w *Worker) write(ctx context.Context, items []*item) error {
	if len(items) == 0 {
		return nil
	}
	policies := map[string]bool{}
	oldest := items[0].At
	for _, it := range items {
		policies[it.Policy] = true
		w.Health.Pending(it.Policy, w.Conn.Name, it.At)
		if it.At.Before(oldest) {
			oldest = it.At
		}
	}
	pending := items
	wait := w.RetryWait
	for len(pending) > 0 {
		writeBackLag.WithLabelValues(w.Conn.Name).Set(max(w.Clock.Now().Sub(oldest), 0).Seconds())
		var retry []*item
		for start := 0; start < len(pending); start += w.CRM.MaxBatch() {
			batch := pending[start:min(start+w.CRM.MaxBatch(), len(pending))]
			outcomes, err := w.send(ctx, batch)
			if err != nil {
				for p := range policies {
					w.Health.Blocked(p, w.Conn.Name, blockedReason(err))
				}
				return err
			}
			retry = append(retry, w.settle(batch, outcomes)...)
		}
		if pending = retry; len(pending) > 0 {
			if err := sleepCtx(ctx, wait); err != nil {
				return err
			}
			wait = min(wait*2, w.MaxRetryWait)
		}
	}
	for p := range policies {
		w.Health.Settled(p, w.Conn.Name)
	}
	return nil
}

// send writes one batch. When the CRM refuses a whole batch for a bad input (HubSpot does), the
// updates go one by one so the good ones are written and only the bad ones carry the refusal.
func (w *Worker) send(ctx context.Context, batch []*item) ([]Outcome, error) {
	us := make([]Update, len(batch))
	for i, it := range batch {
		us[i] = it.Update
		if w.Echoes != nil {
			// Before the write: the CRM may notify inbound of the change before it answers us.
			w.Echoes.Wrote(it.Record.ExternalID(), it.OwnerID)
		}
	}
	outcomes, err := w.CRM.WriteOwners(ctx, us)
	if errors.Is(err, errWholeBatch) {
		if len(us) == 1 {
			return outcomes, nil
		}
		outcomes = make([]Outcome, len(us))
		for i := range us {
			one, err := w.CRM.WriteOwners(ctx, us[i:i+1])
			if err != nil && !errors.Is(err, errWholeBatch) {
				return nil, err
			}
			outcomes[i] = one[0]
		}
		return outcomes, nil
	}
	return outcomes, err
}

// settle books each outcome and returns the items to try again.
func (w *Worker) settle(batch []*item, outcomes []Outcome) []*item {
	var retry []*item
	written := map[string]int64{}
	for i, it := range batch {
		o := outcomes[i]
		if o.OK {
			written[it.Policy]++
			continue
		}
		it.attempts++
		if it.attempts < w.Attempts {
			retry = append(retry, it)
			continue
		}
		// The lead id is opaque; the record's owner and fields stay out of the log.
		w.Log.Info("the CRM refused a lead's owner on every attempt; giving up on it", "connection", w.Conn.Name,
			"lead", it.LeadID, "record", it.Record.ExternalID(), "code", o.Code, "attempts", it.attempts)
		writeBackTotal.WithLabelValues(w.Conn.Name, "failed").Inc()
		w.Health.Failed(it.Policy, w.Conn.Name, o.Code, w.Clock.Now())
	}
	for p, n := range written {
		writeBackTotal.WithLabelValues(w.Conn.Name, "written").Add(float64(n))
		w.Health.Written(p, w.Conn.Name, n)
	}
	return retry
}

// blockedReason is err's message for the condition: it names the connection and HTTP codes, never a
// lead's data (the clients' errors never carry any).
func blockedReason(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:297] + "..."
	}
	return msg
}

// userCache remembers the CRM user ids of crmUser emails: found ones for the worker's life, missing
// ones for missTTL, so a user created in the CRM later is found without a restart.
type userCache struct {
	mu     sync.Mutex
	ids    map[string]string
	misses map[string]time.Time
}

const missTTL = 10 * time.Minute

func (c *userCache) lookup(ctx context.Context, crmc CRM, email string, now time.Time) (string, bool, error) {
	key := strings.ToLower(email)
	c.mu.Lock()
	if id, ok := c.ids[key]; ok {
		c.mu.Unlock()
		return id, true, nil
	}
	if at, ok := c.misses[key]; ok && now.Sub(at) < missTTL {
		c.mu.Unlock()
		return "", false, nil
	}
	c.mu.Unlock()
	id, found, err := crmc.LookupUser(ctx, email)
	if err != nil {
		return "", false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if found {
		if c.ids == nil {
			c.ids = map[string]string{}
		}
		c.ids[key] = id
	} else {
		if c.misses == nil {
			c.misses = map[string]time.Time{}
		}
		c.misses[key] = now
	}
	return id, found, nil
}

package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/store"
)

// EventsPage is the body of GET /v1/events: audit events in feed order and the position to ask from
// next. Next equals the after asked for when nothing new was there.
type EventsPage struct {
	Events []store.AuditEvent `json:"events"`
	Next   string             `json:"next"`
}

var eventsParams = []string{"after", "types", "limit", "wait"}

// eventsPoll is how often a long poll re-reads the feed without a change notification: the backstop
// for writers the store's notifications do not reach (another process on the same SQLite file) and
// for events held back behind an older transaction still open (PostgreSQL).
const eventsPoll = time.Second

// eventsSlack is how long past its wait a long poll may take to answer: the last read of the feed
// and the write. The connection's deadlines are moved out by wait plus this.
const eventsSlack = 10 * time.Second

// listEvents serves the event feed: GET /v1/events?after=&types=&limit=&wait=. It answers at once
// when there are events (or the position moved past filtered-out ones); with nothing new and a wait,
// it holds the request until a change is committed or the wait runs out, then answers with what there
// is. An expired position is 410 Gone.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q, wait, err := parseEventsQuery(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	deadline := time.Now().Add(wait)
	if wait > 0 {
		// The server's read and write timeouts count from the request; a long poll outlives them.
		rc := http.NewResponseController(w)
		if err := errors.Join(rc.SetReadDeadline(deadline.Add(eventsSlack)), rc.SetWriteDeadline(deadline.Add(eventsSlack))); err != nil {
			s.log.Error(err, "cannot extend the connection's deadlines for a long poll; waiting within the server's timeouts", "route", r.Pattern)
			wait = min(wait, writeTimeout-eventsSlack)
			deadline = time.Now().Add(wait)
		}
	}
	var changes <-chan store.Change
	if wait > 0 {
		// Subscribe before the first read: a change committed between the read and the wait still
		// wakes it.
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if changes, err = s.store.Subscribe(sctx); err != nil {
			return err
		}
	}
	page, err := s.readEvents(ctx, q, deadline)
	if err != nil {
		return err
	}
	if wait > 0 && len(page.Events) == 0 {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		poll := time.NewTicker(eventsPoll)
		defer poll.Stop()
	wait:
		for len(page.Events) == 0 {
			if page.Next != q.After {
				// Moved without events (the start of an empty feed, or a filtered scan that used its
				// budget): go on from there rather than wait.
				q.After = page.Next
			} else {
				select {
				case <-ctx.Done():
					// The client went away, or the server is shutting down: answer "nothing new"
					// (written only if someone still listens).
					break wait
				case <-timer.C:
					break wait
				case _, ok := <-changes:
					if !ok {
						changes = nil
						continue
					}
					drain(changes)
				case <-poll.C:
				}
			}
			if time.Now().After(deadline) {
				break
			}
			if page, err = s.readEvents(ctx, q, deadline); err != nil {
				if ctx.Err() != nil {
					page = store.FeedPage{Next: q.After}
					break
				}
				return err
			}
		}
	}
	if page.Events == nil {
		page.Events = []store.AuditEvent{}
	}
	writeJSON(w, http.StatusOK, EventsPage{Events: page.Events, Next: page.Next})
	return nil
}

func drain(ch <-chan store.Change) {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// readEvents reads one page, bounded by the long poll's deadline plus slack, and maps the store's
// position errors to what the caller must do.
func (s *Server) readEvents(ctx context.Context, q store.FeedQuery, deadline time.Time) (store.FeedPage, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(eventsSlack/2))
	defer cancel()
	page, err := s.store.EventsAfter(ctx, q)
	switch {
	case errors.Is(err, store.ErrCursorExpired):
		return page, &apiError{status: http.StatusGone,
			msg: "the feed position in after has expired (it was handed out by another store, or this store was recreated or restored): " +
				"start again without after, or from a position this store handed out; events since may have to be re-read",
			fields: fielderr.List{{Path: "after", Message: "is no longer served by this store"}}}
	case errors.Is(err, store.ErrBadCursor):
		return page, badRequest("the query is not valid: after: is not a position returned by this API",
			fielderr.Error{Path: "after", Message: "is not a position returned by this API (use the next of a previous answer, or leave it out to start from the beginning)"})
	}
	return page, err
}

// parseEventsQuery validates the query: unknown parameters, types, limit and wait, every problem at once.
func parseEventsQuery(r *http.Request) (store.FeedQuery, time.Duration, error) {
	v := r.URL.Query()
	var errs fielderr.List
	for k := range v {
		if !slices.Contains(eventsParams, k) {
			errs = append(errs, fielderr.Error{Path: k, Message: "is not a known query parameter (known: " + strings.Join(eventsParams, ", ") + ")"})
		}
	}
	for _, k := range []string{"after", "limit", "wait"} {
		if len(v[k]) > 1 {
			errs = append(errs, fielderr.Error{Path: k, Message: "may be given only once"})
		}
	}
	q := store.FeedQuery{After: v.Get("after"), Limit: DefaultEventsPageSize}
	for _, list := range v["types"] {
		for _, typ := range strings.Split(list, ",") {
			typ = strings.TrimSpace(typ)
			if !slices.Contains(store.EventTypes, typ) {
				errs = append(errs, fielderr.Error{Path: "types", Message: fmt.Sprintf("%q is not an event type (one of %s)", typ, strings.Join(store.EventTypes, ", "))})
				continue
			}
			if !slices.Contains(q.Types, typ) {
				q.Types = append(q.Types, typ)
			}
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxEventsPageSize {
			errs = append(errs, fielderr.Error{Path: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxEventsPageSize)})
		}
		q.Limit = n
	}
	var wait time.Duration
	if s := v.Get("wait"); s != "" {
		d, err := parseWait(s)
		if err != nil {
			errs = append(errs, fielderr.Error{Path: "wait", Message: err.Error()})
		}
		wait = d
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b fielderr.Error) int { return strings.Compare(a.Path, b.Path) })
		return q, 0, badRequest("the query is not valid: "+errs.Error(), errs...)
	}
	return q, wait, nil
}

// parseWait reads a long poll's wait: a Go duration ("30s", "1m") or whole seconds ("30"), from 0 to
// MaxEventsWait.
func parseWait(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, aerr := strconv.Atoi(s)
		if aerr != nil {
			return 0, fmt.Errorf("must be a duration such as 30s or 1m, or whole seconds, from 0 to %s", MaxEventsWait)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 || d > MaxEventsWait {
		return 0, fmt.Errorf("must be from 0 to %s", MaxEventsWait)
	}
	return d, nil
}

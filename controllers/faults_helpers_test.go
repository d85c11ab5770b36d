package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// The fault scenarios' policy: every lead qualifies except every tenth (as in seedBulk), first
// touch due an hour after routing on the wall clock, a breach recorded but not reassigned (so each
// lead's deadline stays the one it missed).
const faultPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: bulk}
spec:
  qualification: {expression: "lead.score >= 10"}
  rules: [{name: all, teamRef: {name: sdr}, strategy: RoundRobin}]
  sla:
    firstTouch: {within: 1h, clock: WallClock}
    onBreach: {reassign: false}
`

// envOn starts a manager over a store the test opened itself (a dedicated PostgreSQL server it
// will stop, a SQLite file it will starve), on the fake clock clk.
func envOn(t testing.TB, st store.Backend, dsn string, clk *clock.Fake) *testEnv {
	t.Helper()
	e := &testEnv{t: t, store: st, dsn: dsn, clock: clk, clk: clk}
	e.ns = newNamespace(t)
	e.stop = startManager(t, e.ns, st, clk)
	return e
}

// streamStats is what a lead stream saw, as a marketing tool would.
type streamStats struct {
	mu          sync.Mutex
	accepted    int            // leads acknowledged with 200
	statuses    map[int]int    // every response status, retries included
	retryAfters map[string]int // Retry-After values of the 503s
	maxLatency  time.Duration  // slowest single request
	unexpected  []string       // anything but 200 and 503-with-Retry-After
	messages    map[string]int // error messages of the 503s
	firstErrAt  time.Time      // first 503
	lastErrAt   time.Time      // last 503
	doneAt      time.Time      // last batch acknowledged
	acks        []time.Time    // when each batch was acknowledged
}

// firstAckAfter is when the first batch after t was acknowledged (zero when none was).
func (s *streamStats) firstAckAfter(t time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.acks {
		if a.After(t) {
			return a
		}
	}
	return time.Time{}
}

// faultLeads are the leads prefix-<from> … prefix-<to-1>, every tenth below the qualification gate.
func faultLeads(prefix string, from, to int) []store.LeadInput {
	var out []store.LeadInput
	for i := from; i < to; i++ {
		score := int64(50)
		if i%10 == 0 {
			score = 5
		}
		out = append(out, store.LeadInput{ExternalID: fmt.Sprintf("%s-%05d", prefix, i), Score: score})
	}
	return out
}

// streamLeads posts n leads named prefix-00000… in batches of batch, one batch every pace, and
// retries a 503 after its Retry-After, as a well-behaved client does (the upsert is idempotent by
// external id, so a retry after an ambiguous failure cannot create a second lead). Every tenth lead
// is below the qualification gate. It returns when every lead is acknowledged or ctx ends.
func streamLeads(ctx context.Context, baseURL, token, prefix string, n, batch int, pace time.Duration) *streamStats {
	st := &streamStats{statuses: map[int]int{}, retryAfters: map[string]int{}, messages: map[string]int{}}
	hc := &http.Client{Timeout: 30 * time.Second}
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for start := 0; start < n; start += batch {
		req := api.BatchRequest{Leads: faultLeads(prefix, start, min(start+batch, n))}
		body, _ := json.Marshal(req)
		for {
			if ctx.Err() != nil {
				return st
			}
			hreq, _ := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/v1/leads/batch", bytes.NewReader(body))
			hreq.Header.Set("Content-Type", "application/json")
			hreq.Header.Set("Authorization", "Bearer "+token)
			began := time.Now()
			resp, err := hc.Do(hreq)
			took := time.Since(began)
			st.mu.Lock()
			st.maxLatency = max(st.maxLatency, took)
			if err != nil {
				st.unexpected = append(st.unexpected, fmt.Sprintf("batch %d: %v after %v", start/batch, err, took))
				st.mu.Unlock()
				return st
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			st.statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
				st.accepted += len(req.Leads)
				st.doneAt = time.Now()
				st.acks = append(st.acks, st.doneAt)
				st.mu.Unlock()
				break
			}
			ra := resp.Header.Get("Retry-After")
			secs, perr := strconv.Atoi(ra)
			if resp.StatusCode != http.StatusServiceUnavailable || perr != nil || secs <= 0 {
				st.unexpected = append(st.unexpected, fmt.Sprintf("batch %d: HTTP %d Retry-After %q: %s", start/batch, resp.StatusCode, ra, raw))
				st.mu.Unlock()
				return st
			}
			var eb api.ErrorBody
			_ = json.Unmarshal(raw, &eb)
			st.messages[eb.Error]++
			st.retryAfters[ra]++
			if st.firstErrAt.IsZero() {
				st.firstErrAt = time.Now()
			}
			st.lastErrAt = time.Now()
			st.mu.Unlock()
			select {
			case <-ctx.Done():
				return st
			case <-time.After(time.Duration(secs) * time.Second):
			}
		}
		select {
		case <-ctx.Done():
			return st
		case <-tick.C:
		}
	}
	return st
}

// transitions records when a probe went from passing to failing and back.
type transitions struct {
	mu      sync.Mutex
	last    *bool
	changes []transition
}

type transition struct {
	at time.Time
	ok bool
}

func (tr *transitions) observe(ok bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.last == nil || *tr.last != ok {
		tr.changes = append(tr.changes, transition{time.Now(), ok})
		tr.last = &ok
	}
}

// firstAfter is the first time after t the probe turned to ok (zero when it did not).
func (tr *transitions) firstAfter(t time.Time, ok bool) time.Time {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, c := range tr.changes {
		if c.ok == ok && !c.at.Before(t) {
			return c.at
		}
	}
	return time.Time{}
}

// poll calls probe every interval until ctx ends.
func poll(ctx context.Context, interval time.Duration, probe func()) {
	go func() {
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				probe()
			}
		}
	}()
}

// checkStreamDecidedOnce asserts nothing lost and nothing doubled over the n streamed leads: each
// exists once, holds exactly one created entry, the qualified ones exactly one routed entry and
// an owner, the rest exactly one disqualified entry; and every lead whose first-touch deadline is
// at or before now holds exactly one breach entry carrying that deadline, the others none. It
// returns the number of breaches checked.
func checkStreamDecidedOnce(t testing.TB, st store.Backend, prefix string, n int, now time.Time) int {
	t.Helper()
	ctx := context.Background()
	routed, disqualified, breached := 0, 0, 0
	for i := 0; i < n; i++ {
		l, err := st.GetLeadByExternalID(ctx, fmt.Sprintf("%s-%05d", prefix, i))
		if err != nil {
			t.Fatalf("lead %d of the stream: %v", i, err)
		}
		evs, err := st.Audit(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		var breaches []store.AuditEvent
		for _, ev := range evs {
			count[ev.Type]++
			if ev.Type == "breached" {
				breaches = append(breaches, ev)
			}
		}
		if count["created"] != 1 {
			t.Fatalf("lead %d: %d created entries, want 1 (audit %v)", i, count["created"], count)
		}
		switch {
		case l.Stage == lead.StageRouted && l.Owner != "" && count["routed"] == 1 && count["disqualified"] == 0:
			routed++
		case l.Stage == lead.StageDisqualified && count["disqualified"] == 1 && count["routed"] == 0:
			disqualified++
			continue
		default:
			t.Fatalf("lead %d decided wrongly: stage %s owner %q audit %v", i, l.Stage, l.Owner, count)
		}
		if l.FirstTouchDue == nil {
			t.Fatalf("lead %d routed without a first-touch deadline", i)
		}
		due := !l.FirstTouchDue.After(now)
		switch {
		case due && len(breaches) == 1:
			want := l.FirstTouchDue.UTC().Format(time.RFC3339)
			if breaches[0].Data["due"] != want {
				t.Fatalf("lead %d: breach entry due %v, want its deadline %s", i, breaches[0].Data["due"], want)
			}
			breached++
		case due:
			t.Fatalf("lead %d: deadline %s passed by %s, %d breach entries, want exactly 1", i, l.FirstTouchDue, now, len(breaches))
		case len(breaches) != 0:
			t.Fatalf("lead %d: deadline %s not reached at %s, yet %d breach entries", i, l.FirstTouchDue, now, len(breaches))
		}
	}
	if routed != n-n/10 || disqualified != n/10 {
		t.Fatalf("routed %d, disqualified %d; want %d and %d", routed, disqualified, n-n/10, n/10)
	}
	return breached
}

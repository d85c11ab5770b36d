package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/leadops/leadops/internal/api"
	apiclient "github.com/leadops/leadops/internal/api/client"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// simulator feeds the live lead stream through the HTTP API, as a marketing tool would, and plays the
// reps: most touch their new leads well within the SLA, some let them go stale, a few leads nobody
// wants end up with the team manager, who gets to them late. Touched leads are accepted or rejected
// with a reason, accepted ones won or lost. Every decision is drawn from a seeded generator.
type simulator struct {
	d       *demo
	r       *rand.Rand
	ny      *time.Location
	next    time.Time // next arrival, simulated
	n       int
	seen    map[string]bool // assignments (lead, stage, owner, routed at) already decided
	unloved map[string]bool // leads every rep ignores until a manager takes them
	pending []action
	clients map[string]*apiclient.Client

	mu    sync.Mutex
	stats simStats
}

type simStats struct {
	Sent, Touched, Ignored, Accepted, Rejected, Won, Lost int
	Revenue                                               float64
}

// action is something a simulated rep will do at a simulated time, if the lead is still theirs and
// still in the stage the decision was made in.
type action struct {
	at     time.Time
	leadID string
	owner  string
	stage  lead.Stage
	kind   store.ActivityKind
	reason string
	amount float64
}

func newSimulator(d *demo, seed int64) *simulator {
	ny, _ := time.LoadLocation("America/New_York")
	return &simulator{d: d, r: rand.New(rand.NewPCG(uint64(seed), 2027)), ny: ny, seen: map[string]bool{},
		unloved: map[string]bool{}, clients: map[string]*apiclient.Client{}}
}

func (s *simulator) snapshot() simStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *simulator) count(f func(*simStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// run works until ctx ends.
func (s *simulator) run(ctx context.Context) {
	// A first handful at once, so routing shows within seconds.
	for range 6 {
		s.send(ctx)
	}
	s.next = s.d.clock.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := s.d.clock.Now()
		for !s.next.After(now) && ctx.Err() == nil {
			s.send(ctx)
			s.next = s.next.Add(s.interArrival(s.next))
		}
		if i%3 == 0 {
			s.scan(ctx)
		}
		s.act(ctx, now)
	}
}

// interArrival draws the time to the next lead: one every few minutes in business hours, a trickle
// at night and at weekends.
func (s *simulator) interArrival(at time.Time) time.Duration {
	mean := 40 * time.Minute
	local := at.In(s.ny)
	if wd := local.Weekday(); wd != time.Saturday && wd != time.Sunday && local.Hour() >= 8 && local.Hour() < 18 {
		mean = 4 * time.Minute
	}
	return time.Duration(s.r.ExpFloat64()*float64(mean)) + time.Second
}

func (s *simulator) send(ctx context.Context) {
	s.n++
	in := synthLead(s.r, "web", s.n, true)
	if _, _, err := s.d.api.UpsertLead(ctx, in); err != nil {
		if ctx.Err() == nil {
			s.d.log.Error(err, "sending a synthetic lead")
		}
		return
	}
	s.count(func(st *simStats) { st.Sent++ })
}

// scan reads the open leads and decides, once per assignment and stage, what their owner will do.
func (s *simulator) scan(ctx context.Context) {
	f := store.ListFilter{Stages: []lead.Stage{lead.StageRouted, lead.StageTouched, lead.StageAccepted}, Limit: api.MaxPageSize}
	for {
		page, err := s.d.api.ListLeads(ctx, f)
		if err != nil {
			if ctx.Err() == nil {
				s.d.log.Error(err, "listing open leads")
			}
			return
		}
		for _, l := range page.Leads {
			s.decide(l)
		}
		if page.NextCursor == "" {
			return
		}
		f.Cursor = page.NextCursor
	}
}

func (s *simulator) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+s.r.IntN(hi-lo+1)) * time.Minute
}

func (s *simulator) decide(l *lead.Lead) {
	routedAt := ""
	if l.RoutedAt != nil {
		routedAt = l.RoutedAt.String()
	}
	key := l.ID + "|" + string(l.Stage) + "|" + l.Owner + "|" + routedAt
	if s.seen[key] || l.Owner == "" {
		return
	}
	s.seen[key] = true
	now := s.d.clock.Now()
	plan := func(after time.Duration, kind store.ActivityKind, reason string, amount float64) {
		s.pending = append(s.pending, action{at: now.Add(after), leadID: l.ID, owner: l.Owner, stage: l.Stage,
			kind: kind, reason: reason, amount: amount})
	}
	sales := strings.HasSuffix(l.Team, "/sales")
	switch l.Stage {
	case lead.StageRouted:
		if _, decided := s.unloved[l.ID]; !decided {
			s.unloved[l.ID] = s.r.IntN(100) < 15
		}
		switch p := s.r.IntN(100); {
		case s.d.managers[l.Owner]:
			plan(s.minutes(90, 240), store.ActivityTouch, "", 0) // escalated: the manager gets to it late
		case s.unloved[l.ID] || p < 12:
			s.count(func(st *simStats) { st.Ignored++ }) // goes stale: breach, reassignment, escalation
		default:
			plan(s.minutes(3, 45), store.ActivityTouch, "", 0)
		}
	case lead.StageTouched:
		switch p := s.r.IntN(100); {
		case p < 65:
			plan(s.minutes(10, 150), store.ActivityAccept, "", 0)
		case p < 90:
			plan(s.minutes(10, 120), store.ActivityReject, rejectReasons[s.r.IntN(len(rejectReasons))], 0)
		}
	case lead.StageAccepted:
		win, lose := 20, 50
		if sales {
			win, lose = 45, 35
		}
		switch p := s.r.IntN(100); {
		case p < win:
			team := "sdr"
			if sales {
				team = "sales"
			}
			plan(s.minutes(30, 240), store.ActivityWin, "", dealAmount(s.r, team))
		case p < win+lose:
			plan(s.minutes(30, 240), store.ActivityLose, loseReasons[s.r.IntN(len(loseReasons))], 0)
		}
	}
}

// act carries out every planned action that is due, as the rep who owns the lead.
func (s *simulator) act(ctx context.Context, now time.Time) {
	keep := s.pending[:0]
	var due []action
	for _, a := range s.pending {
		if a.at.After(now) {
			keep = append(keep, a)
		} else {
			due = append(due, a)
		}
	}
	s.pending = keep
	for _, a := range due {
		if ctx.Err() != nil {
			return
		}
		c := s.client(a.owner)
		cur, err := c.GetLead(ctx, a.leadID)
		if err != nil || cur.Lead == nil || cur.Lead.Owner != a.owner || cur.Lead.Stage != a.stage {
			continue // reassigned or moved on meanwhile
		}
		if _, err := c.Apply(ctx, a.leadID, apiActivity(a)); err != nil {
			var apiErr *apiclient.Error
			if ctx.Err() == nil && !(errors.As(err, &apiErr) && apiErr.Status == 409) {
				s.d.log.Error(err, "a simulated rep's activity failed", "kind", a.kind)
			}
			continue
		}
		s.count(func(st *simStats) {
			switch a.kind {
			case store.ActivityTouch:
				st.Touched++
			case store.ActivityAccept:
				st.Accepted++
			case store.ActivityReject:
				st.Rejected++
			case store.ActivityWin:
				st.Won++
				st.Revenue += a.amount
			case store.ActivityLose:
				st.Lost++
			}
		})
	}
}

// client returns an API client that authenticates as the rep, so the audit log names them.
func (s *simulator) client(owner string) *apiclient.Client {
	if c, ok := s.clients[owner]; ok {
		return c
	}
	tok, ok := s.d.repTokens[owner]
	if !ok {
		tok = s.d.repTokens[marketingTool]
	}
	c := &apiclient.Client{BaseURL: s.d.apiURL, Token: tok}
	s.clients[owner] = c
	return c
}

func apiActivity(a action) api.ActivityRequest {
	return api.ActivityRequest{Kind: a.kind, Reason: a.reason, Amount: a.amount}
}

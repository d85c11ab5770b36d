package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// History before the demo starts, so the samples' goals have something to measure against: the
// previous quarter's leads are the baseline of "marketing grows new leads 10%", and the current
// quarter's earlier leads and deals put both goals part of the way along when the demo begins.
const (
	historyPreviousQuarter = 120 // leads created in the previous quarter
	historyQuarterPace     = 110 // leads per quarter so far this quarter: a little behind the 10% growth
)

// seedHistory writes closed-out leads (disqualified, rejected, won or lost) at instants before start,
// straight into the store, with the store's clock pinned to each instant. Nothing it writes is left
// for the router: every lead ends in a stage no policy routes.
func seedHistory(ctx context.Context, st historyStore, hist *historyClock, start time.Time, ns string, seed int64) error {
	defer func() { hist.at = time.Time{} }()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		return err
	}
	local := start.In(ny)
	qStart := time.Date(local.Year(), time.Month((int(local.Month())-1)/3*3+1), 1, 0, 0, 0, 0, ny)
	qEnd := qStart.AddDate(0, 3, 0)
	prevStart := qStart.AddDate(0, -3, 0)
	cutoff := start.Add(-time.Hour) // history ends before the demo's first lead
	r := rand.New(rand.NewPCG(uint64(seed), 2026))
	h := &historian{st: st, hist: hist, r: r, ns: ns, cutoff: cutoff}

	n := 0
	for range historyPreviousQuarter {
		n++
		if err := h.lead(ctx, n, randomInstant(r, prevStart, qStart)); err != nil {
			return err
		}
	}
	soFar := int(float64(historyQuarterPace) * float64(cutoff.Sub(qStart)) / float64(qEnd.Sub(qStart)))
	for range soFar {
		n++
		if err := h.lead(ctx, n, randomInstant(r, qStart, cutoff.Add(-6*time.Hour))); err != nil {
			return err
		}
	}
	return nil
}

// randomInstant returns a time in [from, to) on a weekday between 09:00 and 17:00 New York time,
// or from itself when the range is empty.
func randomInstant(r *rand.Rand, from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	for range 100 {
		t := from.Add(time.Duration(r.Int64N(int64(to.Sub(from)))))
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if h := t.Hour(); h < 9 || h >= 17 {
			continue
		}
		return t
	}
	return from
}

// historyStore is what seeding the history writes through: leads, their activities and the routing
// the controller would have recorded.
type historyStore interface {
	UpsertLead(ctx context.Context, in store.LeadInput, actor string) (*lead.Lead, bool, error)
	Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error)
	Update(ctx context.Context, l *lead.Lead, events ...store.AuditEvent) (*lead.Lead, error)
}

type historian struct {
	st     historyStore
	hist   *historyClock
	r      *rand.Rand
	ns     string
	cutoff time.Time
}

// at moves the store's clock to t, but never past the cutoff.
func (h *historian) at(t time.Time) time.Time {
	if t.After(h.cutoff) {
		t = h.cutoff
	}
	h.hist.at = t
	return t
}

func (h *historian) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+h.r.IntN(hi-lo+1)) * time.Minute
}

// lead writes one historical lead and walks it through the handoff to a closed stage.
func (h *historian) lead(ctx context.Context, n int, created time.Time) error {
	t := h.at(created)
	in := synthLead(h.r, "crm", n, false)
	l, _, err := h.st.UpsertLead(ctx, in, marketingTool)
	if err != nil {
		return err
	}
	apply := func(kind store.ActivityKind, actor, reason string, amount float64, after time.Duration) error {
		t = h.at(t.Add(after))
		next, err := h.st.Apply(ctx, l.ID, store.Activity{Kind: kind, Actor: actor, Reason: reason, Amount: amount, At: t})
		if err != nil {
			return fmt.Errorf("history lead %s: %s: %w", in.ExternalID, kind, err)
		}
		l = next
		return nil
	}
	if in.Score < 60 {
		return apply(store.ActivityDisqualify, "controller", "score below 60; nurture before handing off", 0, time.Minute)
	}
	if err := apply(store.ActivityQualify, "controller", "", 0, time.Minute); err != nil {
		return err
	}
	team, owner, rule := "sdr", fmt.Sprintf("sdr-%02d", 1+h.r.IntN(3)), "everyone-else"
	if in.Employees >= 1000 {
		team, owner, rule = "sales", fmt.Sprintf("ae-%02d", 1+h.r.IntN(3)), "large-companies"
	}
	for _, a := range accounts {
		if a.Domain == in.Domain {
			team, owner, rule = "sales", a.Owner, "existing-accounts"
		}
	}
	t = h.at(t.Add(time.Minute))
	// Routed the way the controller routes (lead.Route), with no SLA: this handoff is history.
	routed, err := lead.Route(*l, owner, h.ns+"/"+team, h.ns+"/inbound", rule, t, lead.Deadlines{})
	if err != nil {
		return fmt.Errorf("history lead %s: route: %w", in.ExternalID, err)
	}
	if l, err = h.st.Update(ctx, &routed, store.AuditEvent{Actor: "controller", At: t, Type: lead.EventRouted,
		Reason: "routed before the demo started (seeded history)",
		Data:   map[string]any{"team": routed.Team, "owner": owner, "rule": rule}}); err != nil {
		return fmt.Errorf("history lead %s: route: %w", in.ExternalID, err)
	}
	if err := apply(store.ActivityTouch, owner, "", 0, h.minutes(5, 55)); err != nil {
		return err
	}
	if h.r.IntN(100) < 25 {
		return apply(store.ActivityReject, owner, rejectReasons[h.r.IntN(len(rejectReasons))], 0, h.minutes(30, 600))
	}
	if err := apply(store.ActivityAccept, owner, "", 0, h.minutes(30, 600)); err != nil {
		return err
	}
	winPct := 25
	if team == "sales" {
		winPct = 50
	}
	closeAfter := time.Duration(2+h.r.IntN(12)) * 24 * time.Hour
	if h.r.IntN(100) < winPct {
		return apply(store.ActivityWin, owner, "", dealAmount(h.r, team), closeAfter)
	}
	return apply(store.ActivityLose, owner, loseReasons[h.r.IntN(len(loseReasons))], 0, closeAfter)
}

// dealAmount is a plausible first-year deal size, in whole hundreds.
func dealAmount(r *rand.Rand, team string) float64 {
	if team == "sales" {
		return float64(15+r.IntN(50)) * 100 // 1,500 – 6,400
	}
	return float64(8+r.IntN(30)) * 100 // 800 – 3,700
}

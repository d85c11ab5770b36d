package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

var newYork = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// seedLead creates a lead at `at` on the injected clock and, when owner is set, routes it to owner
// on team and wins it for amount (0: leave it routed).
func (e *testEnv) seedLead(id string, at time.Time, team, owner string, amount float64) {
	e.t.Helper()
	ctx := context.Background()
	e.clock.Set(at)
	l, _, err := e.store.UpsertLead(ctx, store.LeadInput{ExternalID: id, Domain: id + ".com", Score: 70}, "seed")
	if err != nil {
		e.t.Fatal(err)
	}
	if owner == "" {
		return
	}
	next := *l
	next.Stage, next.QualifiedAt, next.RoutedAt, next.Owner, next.Team = lead.StageRouted, &at, &at, owner, e.ns+"/"+team
	if _, conflicts, err := e.store.CommitDecisions(ctx, []store.Decision{{Lead: &next, Via: []lead.Stage{lead.StageQualified},
		Events: []store.AuditEvent{{Actor: "seed", Type: "routed"}}}}); err != nil || len(conflicts) > 0 {
		e.t.Fatalf("seeding %s: %v %v", id, err, conflicts)
	}
	if amount == 0 {
		return
	}
	for _, a := range []store.Activity{{Kind: store.ActivityTouch}, {Kind: store.ActivityAccept}, {Kind: store.ActivityWin, Amount: amount}} {
		a.Actor, a.At = "seed", at
		if _, err := e.store.Apply(ctx, l.ID, a); err != nil {
			e.t.Fatalf("seeding %s: %s: %v", id, a.Kind, err)
		}
	}
}

func goalCond(g *leadopsv1.TeamGoal) (status, reason string) {
	c := meta.FindStatusCondition(g.Status.Conditions, leadopsv1.ConditionOnTrack)
	if c == nil || c.ObservedGeneration != g.Generation {
		return "", ""
	}
	return string(c.Status), c.Reason
}

// TestSampleGoalsTrackTheStore: the two sample goals show the right numbers mid-quarter, the growth
// goal resolves its target from the previous quarter, and moving the clock past the quarter's end
// turns them into Achieved and Missed.
func TestSampleGoalsTrackTheStore(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			midQ1 := time.Date(2027, 2, 15, 12, 0, 0, 0, newYork)
			e := startEnv(t, backend, midQ1)
			// Last quarter: 20 new leads. This quarter so far: 15, two of them won for $12,000 and $9,000.
			for i := 0; i < 20; i++ {
				e.seedLead(fmt.Sprintf("q4-%d", i), time.Date(2026, 10, 1+i, 10, 0, 0, 0, newYork), "", "", 0)
			}
			e.seedLead("q4-late-win", time.Date(2026, 12, 31, 23, 0, 0, 0, newYork), "sales", "ae-01", 5000) // last quarter's revenue
			for i := 0; i < 13; i++ {
				e.seedLead(fmt.Sprintf("q1-%d", i), time.Date(2027, 1, 2+i, 10, 0, 0, 0, newYork), "", "", 0)
			}
			e.seedLead("won-1", time.Date(2027, 1, 20, 11, 0, 0, 0, newYork), "sales", "ae-01", 12000)
			e.seedLead("won-2", time.Date(2027, 2, 1, 15, 0, 0, 0, newYork), "sales", "ae-02", 9000)
			e.clock.Set(midQ1)
			e.applySamples("team_marketing", "team_sales", "teamgoal")

			mkt := &leadopsv1.TeamGoal{}
			mkt.Namespace, mkt.Name = e.ns, "marketing-new-leads-2027q1"
			e.eventually(mkt, "15 of 23 new leads (21 last quarter +10%), on track", func() bool {
				s, r := goalCond(mkt)
				return mkt.Status.Current == "15" && mkt.Status.Baseline == "21" && mkt.Status.Target == "24" &&
					mkt.Status.Progress == "63%" && mkt.Status.ExpectedProgress == "51%" && s == "True" && r == "OnTrack"
			})
			sales := &leadopsv1.TeamGoal{}
			sales.Namespace, sales.Name = e.ns, "sales-revenue-2027q1"
			e.eventually(sales, "$21,000 of $30,000, on track", func() bool {
				s, r := goalCond(sales)
				return sales.Status.Current == "21000" && sales.Status.Target == "30000" && sales.Status.Progress == "70%" &&
					sales.Status.Projection != "" && s == "True" && r == "OnTrack" && sales.Status.PeriodStart != nil &&
					sales.Status.PeriodStart.Time.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, newYork))
			})

			// A $10,000 deal in March makes the quota; the quarter ends with marketing short.
			e.seedLead("won-3", time.Date(2027, 3, 20, 10, 0, 0, 0, newYork), "sales", "ae-03", 10000)
			e.clock.Set(time.Date(2027, 4, 1, 0, 0, 1, 0, newYork))
			e.eventually(sales, "Achieved", func() bool {
				s, r := goalCond(sales)
				return sales.Status.Current == "31000" && s == "True" && r == "Achieved"
			})
			e.eventually(mkt, "Missed", func() bool {
				s, r := goalCond(mkt)
				return mkt.Status.Current == "16" && s == "False" && r == "Missed"
			})
		})
	}
}

// TestGrowthGoalWithZeroBaseline: a growth target over an empty previous period is explained, not a
// division by zero.
func TestGrowthGoalWithZeroBaseline(t *testing.T) {
	e := startEnv(t, "sqlite", time.Date(2027, 2, 15, 12, 0, 0, 0, newYork))
	e.applySamples("team_marketing", "teamgoal_marketing")
	g := &leadopsv1.TeamGoal{}
	g.Namespace, g.Name = e.ns, "marketing-new-leads-2027q1"
	e.eventually(g, "OnTrack=Unknown with reason BaselineZero", func() bool {
		c := meta.FindStatusCondition(g.Status.Conditions, leadopsv1.ConditionOnTrack)
		return c != nil && c.Status == "Unknown" && c.Reason == "BaselineZero" && c.Message != ""
	})
	eventuallyCondition(t, g, leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
}

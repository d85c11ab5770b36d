package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// GoalBenchTeams are the teams BenchLeadRows spreads leads across.
var GoalBenchTeams = []string{"bench/team-0", "bench/team-1", "bench/team-2", "bench/team-3", "bench/team-4"}

// The benchmarks' goal: the second quarter of the seeded year, as of mid-June.
var (
	GoalBenchStart = time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	GoalBenchEnd   = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	GoalBenchNow   = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	goalBenchYear  = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// BenchLead is one seeded row: the fields goal metrics read. Nil times are NULL.
type BenchLead struct {
	Stage                                          lead.Stage
	Team, Owner                                    string
	Amount                                         float64
	BreachCount                                    int
	Created                                        time.Time
	Qualified, Routed, Touched, Accepted, Rejected *time.Time
	Closed, FirstTouchDue, AcceptanceDue           *time.Time
}

// BenchLeadRows calls fn for n leads created over 2025 across GoalBenchTeams, with a realistic
// stage mix (about a tenth new, a tenth disqualified, a third closed) and stage times that follow
// each other by minutes to weeks. Rejected and disqualified leads have no team, as the lifecycle
// leaves them. Deterministic for a given n.
func BenchLeadRows(n int, fn func(i int, l *BenchLead) error) error {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	year := int64(365 * 24 * time.Hour / time.Microsecond)
	us := func(max time.Duration) time.Duration {
		return time.Duration(rng.Int64N(int64(max/time.Microsecond))) * time.Microsecond
	}
	p := func(t time.Time) *time.Time { return &t }
	// Cumulative stage mix in percent.
	mix := []struct {
		st  lead.Stage
		cum int
	}{{lead.StageNew, 10}, {lead.StageQualified, 15}, {lead.StageDisqualified, 25}, {lead.StageRouted, 30},
		{lead.StageTouched, 40}, {lead.StageAccepted, 55}, {lead.StageRejected, 65}, {lead.StageWon, 80}, {lead.StageLost, 100}}
	var l BenchLead
	for i := range n {
		l = BenchLead{Created: goalBenchYear.Add(time.Duration(rng.Int64N(year)) * time.Microsecond)}
		roll := rng.IntN(100)
		for _, m := range mix {
			if roll < m.cum {
				l.Stage = m.st
				break
			}
		}
		team := GoalBenchTeams[rng.IntN(len(GoalBenchTeams))]
		if l.Stage != lead.StageNew {
			l.Qualified = p(l.Created.Add(us(48 * time.Hour)))
		}
		switch l.Stage {
		case lead.StageNew, lead.StageQualified, lead.StageDisqualified:
			if err := fn(i, &l); err != nil {
				return err
			}
			continue
		}
		l.Team, l.Owner = team, fmt.Sprintf("rep-%d", rng.IntN(40))
		l.Routed = p(l.Qualified.Add(us(24 * time.Hour)))
		l.FirstTouchDue, l.AcceptanceDue = p(l.Routed.Add(4*time.Hour)), p(l.Routed.Add(48*time.Hour))
		if rng.IntN(10) == 0 {
			l.BreachCount = 1
		}
		if l.Stage != lead.StageRouted {
			l.Touched = p(l.Routed.Add(time.Minute + us(72*time.Hour)))
		}
		switch l.Stage {
		case lead.StageRejected:
			l.Rejected = p(l.Touched.Add(time.Hour + us(7*24*time.Hour)))
			l.Team, l.Owner, l.FirstTouchDue, l.AcceptanceDue = "", "", nil, nil
		case lead.StageAccepted, lead.StageWon, lead.StageLost:
			l.Accepted = p(l.Touched.Add(time.Hour + us(7*24*time.Hour)))
			if l.Stage != lead.StageAccepted {
				l.Closed = p(l.Accepted.Add(24*time.Hour + us(60*24*time.Hour)))
			}
			if l.Stage == lead.StageWon {
				l.Amount = float64(1000 + 100*rng.IntN(500))
			}
		}
		if err := fn(i, &l); err != nil {
			return err
		}
	}
	return nil
}

// BenchGoalMetrics runs one sub-benchmark per metric and scope (one team, every lead) over
// GoalBenchStart..GoalBenchEnd, and reports ms/op.
func BenchGoalMetrics(b *testing.B, g store.Goals) {
	ctx := context.Background()
	for _, m := range goals.Metrics {
		for _, scope := range []struct{ name, team string }{{"team", GoalBenchTeams[0]}, {"all", ""}} {
			b.Run(string(m)+"/"+scope.name, func(b *testing.B) {
				q := store.GoalQuery{Metric: string(m), Team: scope.team, Start: GoalBenchStart, End: GoalBenchEnd, Now: GoalBenchNow}
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					if _, _, err := g.GoalMetric(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
			})
		}
	}
}

package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
	"github.com/leadops/leadops/internal/store/storetest"
)

// goalBenchLeads is the target size: a goal over 1,000,000 leads in under 200 ms.
const goalBenchLeads = 1_000_000

// BenchmarkGoalMetric1M seeds 1,000,000 leads (5 teams, a year, a realistic stage mix) once per
// run of the benchmark, checks that no goal query scans the table, and then measures GoalMetric for
// every metric over a quarter, for one team and for every lead (ms/op per metric).
func BenchmarkGoalMetric1M(b *testing.B) {
	s := openFresh(b)
	start := time.Now()
	seedGoalBench(b, s, goalBenchLeads)
	b.Logf("seeded %d leads in %s", goalBenchLeads, time.Since(start).Round(time.Millisecond))
	checkGoalPlans(b, s)
	b.ResetTimer()
	storetest.BenchGoalMetrics(b, s)
}

var goalBenchColumns = []string{"id", "stage", "team", "owner", "policy", "amount", "breach_count", "created_at",
	"updated_at", "qualified_at", "routed_at", "touched_at", "accepted_at", "rejected_at", "closed_at",
	"first_touch_due", "acceptance_due", "version"}

// seedGoalBench COPYs n leads into the table with its secondary indexes dropped, then rebuilds them
// from their own definitions (the migrated ones) and VACUUM ANALYZEs, as a bulk load would.
func seedGoalBench(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.tablename = 'leads' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		b.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Def string }])
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range defs {
		if _, err := s.pool.Exec(ctx, `DROP INDEX `+pgx.Identifier{d.Name}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	type row = []any
	ch := make(chan row, 4096)
	go func() {
		defer close(ch)
		_ = storetest.BenchLeadRows(n, func(_ int, l *storetest.BenchLead) error {
			ch <- row{core.NewID(), string(l.Stage), l.Team, l.Owner, "bench/policy", l.Amount, l.BreachCount, l.Created,
				l.Created, l.Qualified, l.Routed, l.Touched, l.Accepted, l.Rejected, l.Closed, l.FirstTouchDue, l.AcceptanceDue, int64(1)}
			return nil
		})
	}()
	copied, err := s.pool.CopyFrom(ctx, pgx.Identifier{"leads"}, goalBenchColumns, pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-ch
		if !ok {
			return nil, nil
		}
		return r, nil
	}))
	for range ch { // drain if CopyFrom stopped early
	}
	if err != nil || copied != int64(n) {
		b.Fatalf("copy: %d rows, %v", copied, err)
	}
	for _, d := range defs {
		if _, err := s.pool.Exec(ctx, d.Def); err != nil {
			b.Fatalf("%s: %v", d.Def, err)
		}
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE leads`); err != nil {
		b.Fatal(err)
	}
}

// checkGoalPlans fails the benchmark if a goal query reads the table sequentially, and logs the
// plans (go test -v).
func checkGoalPlans(b *testing.B, s *Store) {
	b.Helper()
	ctx := context.Background()
	for _, m := range goals.Metrics {
		for _, team := range []string{storetest.GoalBenchTeams[0], ""} {
			q := store.GoalQuery{Metric: string(m), Team: team, Start: storetest.GoalBenchStart, End: storetest.GoalBenchEnd, Now: storetest.GoalBenchNow}
			rows, err := s.pool.Query(ctx, `EXPLAIN `+goalSQL(m, team != ""), goalArgs(q))
			if err != nil {
				b.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				b.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			b.Logf("%s team=%q:\n%s", m, team, plan)
			if strings.Contains(plan, "Seq Scan") {
				b.Errorf("%s (team %q) scans the table:\n%s", m, team, plan)
			}
		}
	}
}

package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
	"github.com/leadops/leadops/internal/store/storetest"
)

// BenchmarkGoalMetric100k seeds 100,000 leads (5 teams, a year, a realistic stage mix) once per run
// of the benchmark and measures GoalMetric for every metric over a quarter, for one team and for
// every lead (ms/op per metric).
func BenchmarkGoalMetric100k(b *testing.B) {
	s := openTemp(b)
	seedGoalBench(b, s, 100_000)
	b.ResetTimer()
	storetest.BenchGoalMetrics(b, s)
}

func seedGoalBench(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	err := s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO leads (id, stage, team, owner, policy, amount, breach_count,
			created_at, updated_at, qualified_at, routed_at, touched_at, accepted_at, rejected_at, closed_at,
			first_touch_due, acceptance_due) VALUES (?, ?, ?, ?, 'bench/policy', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		return storetest.BenchLeadRows(n, func(_ int, l *storetest.BenchLead) error {
			_, err := stmt.ExecContext(ctx, core.NewID(), string(l.Stage), l.Team, l.Owner, l.Amount, l.BreachCount,
				l.Created.UnixMicro(), l.Created.UnixMicro(), micros(l.Qualified), micros(l.Routed), micros(l.Touched),
				micros(l.Accepted), micros(l.Rejected), micros(l.Closed), micros(l.FirstTouchDue), micros(l.AcceptanceDue))
			return err
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// TestGoalQueryPlans: every goal aggregate, GoalLeads and TeamFlow query searches an index; none
// scans the leads table.
func TestGoalQueryPlans(t *testing.T) {
	s := openTemp(t)
	q := store.GoalQuery{Team: "ns/t", Start: time.Now().Add(-time.Hour), End: time.Now(), Now: time.Now()}
	check := func(name, query string) {
		t.Helper()
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+query, goalArgs(q)...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, p := range plan {
			if strings.HasPrefix(p, "SCAN leads") {
				t.Errorf("%s scans the table:\n%s", name, strings.Join(plan, "\n"))
			}
		}
	}
	for _, m := range goals.Metrics {
		for _, team := range []bool{true, false} {
			check(string(m), goalSQL(m, team))
			check("TeamFlow", `SELECT (SELECT count(*) FROM leads WHERE `+inRange("routed_at", team)+`),
				(SELECT count(*) FROM leads WHERE `+inRange("touched_at", team)+`)`)
			check("GoalLeads ConversionRate", `SELECT `+leadColumns+` FROM leads WHERE (`+inRange("routed_at", team)+`) OR (`+inRange("closed_at", team)+`)`)
		}
	}
}

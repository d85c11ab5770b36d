package controllers

// Benchmarks of the controllers against the real thing: the envtest kube-apiserver, a manager wired
// by Setup exactly as main.go wires it, running on the REAL clock (clock.Real{}), and real PostgreSQL
// and SQLite lead stores. Each benchmark runs one whole scenario per b.N iteration and reports its
// figures with b.ReportMetric; `make bench` runs them with -benchtime=1x.
//
//	BenchmarkRoutingLatency    insert → routed state readable, single leads at a steady trickle (p50/p99)
//	BenchmarkRoutingBurst      100,000 leads routed from a backlog (leads/s) vs a plain batched UPDATE
//	BenchmarkSLABreachDelay    deadline → breach recorded with 10,000 open handoffs due over 20 s
//	BenchmarkRoutingBehindExpensiveQueue  new leads behind 500 waiting leads and an expensive selector (bench_queue_test.go)

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// benchBackends: PostgreSQL (production) first.
var benchBackends = []string{"postgres", "sqlite"}

// Teams with room for a 100,000-lead burst: 5 account executives and 10 SDRs of 10,000 each.
const benchSales = `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sales}
spec:
  function: Sales
  timezone: America/New_York
  manager: sales-lead
  workingHours: [{days: [Monday, Tuesday, Wednesday, Thursday, Friday], start: "08:00", end: "18:00"}]
  members: [{name: ae-01, capacity: 10000}, {name: ae-02, capacity: 10000}, {name: ae-03, capacity: 10000},
            {name: ae-04, capacity: 10000}, {name: ae-05, capacity: 10000}]
`

const benchSDR = `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: America/New_York
  manager: sdr-lead
  workingHours: [{days: [Monday, Tuesday, Wednesday, Thursday, Friday], start: "08:00", end: "18:00"}]
  members: [{name: sdr-01, capacity: 10000}, {name: sdr-02, capacity: 10000}, {name: sdr-03, capacity: 10000},
            {name: sdr-04, capacity: 10000}, {name: sdr-05, capacity: 10000}, {name: sdr-06, capacity: 10000},
            {name: sdr-07, capacity: 10000}, {name: sdr-08, capacity: 10000}, {name: sdr-09, capacity: 10000},
            {name: sdr-10, capacity: 10000}]
`

// benchPolicy is the sample inbound policy's shape: a selector, a qualification gate, account
// owner, round robin and least-loaded rules, and business-hours and wall-clock SLAs.
const benchPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: inbound}
spec:
  selector: lead.source != 'partner'
  priority: 10
  qualification: {expression: "lead.score >= 60", reason: "score below 60"}
  rules:
  - {name: existing-accounts, teamRef: {name: sales}, strategy: AccountOwner}
  - {name: large-companies, when: "lead.employees >= 1000", teamRef: {name: sales}, strategy: RoundRobin}
  - {name: everyone-else, teamRef: {name: sdr}, strategy: LeastLoaded}
  sla:
    firstTouch: {within: 1h, warnBefore: 15m, clock: BusinessHours}
    acceptance: {within: 24h, clock: WallClock}
    onBreach: {reassign: true, maxReassignments: 2, escalateToManager: true}
`

// benchAccounts is how many accounts (owned by the account executives) leads can match.
const benchAccounts = 50

// benchInput is lead i of a run: every lead passes the gate; one in a hundred belongs to an existing
// account, one in five is a large company, the rest go to the SDRs.
func benchInput(prefix string, i int) store.LeadInput {
	in := store.LeadInput{
		ExternalID: fmt.Sprintf("%s-%06d", prefix, i),
		Email:      fmt.Sprintf("lead%d@co%d.example", i, i),
		Company:    fmt.Sprintf("Company %d", i),
		Domain:     fmt.Sprintf("co%d.example", i),
		Country:    "US",
		Industry:   "software",
		Employees:  50,
		Source:     "web",
		Campaign:   "q1-webinar",
		Score:      int64(60 + i%40),
		Attributes: map[string]any{"plan": "trial"},
	}
	switch {
	case i%100 == 0:
		in.Domain = fmt.Sprintf("account%d.example", (i/100)%benchAccounts)
	case i%5 == 0:
		in.Employees = 5000
	}
	return in
}

// startBenchEnv starts a manager on the real clock with the bench teams and policy, Ready.
func startBenchEnv(b *testing.B, backend string, docs ...string) *testEnv {
	b.Helper()
	e := startEnv(b, backend, time.Time{}, withRealClock())
	if len(docs) == 0 {
		docs = []string{benchSales, benchSDR, benchPolicy}
	}
	for _, d := range docs {
		mustCreate(b, e.ns, d)
	}
	pol := decode(b, e.ns, docs[len(docs)-1]).GetName()
	eventuallyCondition(b, e.policy(pol), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
	ctx := context.Background()
	for a := range benchAccounts {
		if err := e.store.UpsertAccount(ctx, store.Account{Domain: fmt.Sprintf("account%d.example", a),
			Owner: fmt.Sprintf("ae-%02d", 1+a%5)}); err != nil {
			b.Fatal(err)
		}
	}
	return e
}

// percentile returns the q-quantile (nearest rank) of sorted durations, in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}

func reportQuantiles(b *testing.B, prefix string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(percentile(ds, 0.50), prefix+"p50-ms")
	b.ReportMetric(percentile(ds, 0.99), prefix+"p99-ms")
	b.ReportMetric(percentile(ds, 1), prefix+"max-ms")
}

// waitFor polls cond every interval until it holds or timeout passes; it fails the benchmark then.
func waitFor(b *testing.B, what string, timeout, interval time.Duration, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}

// BenchmarkRoutingLatency inserts single leads at a steady trickle (one every 20 ms, 300 of them)
// and measures, for each, the time from UpsertLead returning to its routed state being readable: a
// store subscriber re-reads every lead it is told changed and stamps the first read that shows it
// routed. Reports p50 and p99 in milliseconds (target: p99 under 100 ms on PostgreSQL).
func BenchmarkRoutingLatency(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				benchRoutingLatency(b, backend)
			}
		})
	}
}

func benchRoutingLatency(b *testing.B, backend string) {
	const (
		n        = 300
		interval = 20 * time.Millisecond
		warmup   = 20
	)
	e := startBenchEnv(b, backend)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The subscriber: the first time a re-read shows a lead routed.
	changes, err := e.store.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu     sync.Mutex
		routed = map[string]time.Time{}
	)
	readErr := make(chan error, 1)
	go func() {
		for c := range changes {
			mu.Lock()
			_, done := routed[c.LeadID]
			mu.Unlock()
			if done {
				continue
			}
			l, err := e.store.GetLead(ctx, c.LeadID)
			if err != nil {
				if ctx.Err() == nil {
					select {
					case readErr <- err:
					default:
					}
				}
				continue
			}
			if l.Stage == lead.StageRouted {
				at := time.Now()
				mu.Lock()
				routed[c.LeadID] = at
				mu.Unlock()
			}
		}
	}()
	countRouted := func(ids []string) int {
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for _, id := range ids {
			if _, ok := routed[id]; ok {
				k++
			}
		}
		return k
	}

	// Warm up: the first passes compile, fill caches and open connections.
	var warm []string
	for i := range warmup {
		l, _, err := e.store.UpsertLead(ctx, benchInput("warm", i), "bench")
		if err != nil {
			b.Fatal(err)
		}
		warm = append(warm, l.ID)
		time.Sleep(interval)
	}
	waitFor(b, "the warm-up leads to be routed", 30*time.Second, 5*time.Millisecond, func() bool { return countRouted(warm) == warmup })

	ids := make([]string, 0, n)
	inserted := make(map[string]time.Time, n)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	b.ResetTimer()
	for i := range n {
		<-tick.C
		l, _, err := e.store.UpsertLead(ctx, benchInput("trickle", i), "bench")
		at := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, l.ID)
		inserted[l.ID] = at
	}
	waitFor(b, "every trickled lead to be routed", time.Minute, 5*time.Millisecond, func() bool { return countRouted(ids) == n })
	b.StopTimer()
	select {
	case err := <-readErr:
		b.Fatalf("re-reading a lead: %v", err)
	default:
	}
	lat := make([]time.Duration, 0, n)
	mu.Lock()
	for _, id := range ids {
		lat = append(lat, routed[id].Sub(inserted[id]))
	}
	mu.Unlock()
	reportQuantiles(b, "", lat)
	b.ReportMetric(float64(n), "leads")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRoutingBurst routes a backlog of 100,000 leads: they are inserted (UpsertLeads, batches
// of 1,000, timed separately) while the manager is stopped, then the manager starts and the clock
// runs until no lead is left pending. Reports leads/s (target: PostgreSQL at least 5,000 leads/s),
// then, on the same database, times a plain batched UPDATE of owner and stage on the same rows
// (batches of 500, no audit, no checks) and reports route/plain, the routing time over the plain
// UPDATE time.
func BenchmarkRoutingBurst(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				benchRoutingBurst(b, backend)
			}
		})
	}
}

func benchRoutingBurst(b *testing.B, backend string) {
	const n = 100000
	e := startBenchEnv(b, backend)
	ctx := context.Background()
	b.StopTimer()
	// The backlog builds up while no manager runs, so routing is timed alone.
	e.stop()
	ids := make([]string, 0, n)
	insertStart := time.Now()
	for off := 0; off < n; off += 1000 {
		in := make([]store.LeadInput, 0, 1000)
		for i := off; i < off+1000; i++ {
			in = append(in, benchInput("burst", i))
		}
		ls, err := e.store.UpsertLeads(ctx, in, "bench")
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range ls {
			ids = append(ids, l.ID)
		}
	}
	insertSpent := time.Since(insertStart)

	db := openRawDB(b, backend, e.dsn)
	defer db.close()
	b.StartTimer()
	start := time.Now()
	e.stop = startManager(b, e.ns, e.store, e.clk)
	waitFor(b, "the backlog to be routed", 5*time.Minute, 10*time.Millisecond, func() bool { return !db.anyPending(b) })
	spent := time.Since(start)
	b.StopTimer()
	e.stop()

	stats, err := e.store.PolicyStats(ctx, e.ns+"/inbound")
	if err != nil {
		b.Fatal(err)
	}
	if stats.Routed != n || stats.Open != n {
		b.Fatalf("%d routed, %d open; want %d", stats.Routed, stats.Open, n)
	}
	plain := db.plainUpdate(b, ids, 500)

	b.ReportMetric(float64(n)/spent.Seconds(), "leads/s")
	b.ReportMetric(spent.Seconds(), "route-s")
	b.ReportMetric(float64(n)/insertSpent.Seconds(), "insert-leads/s")
	b.ReportMetric(float64(n)/plain.Seconds(), "plain-update-rows/s")
	b.ReportMetric(spent.Seconds()/plain.Seconds(), "route/plain")
	b.ReportMetric(0, "ns/op")
}

// rawDB is a connection of the benchmark's own to the store's database, with the backend's driver.
type rawDB struct {
	pg  *pgx.Conn // postgres
	sql *sql.DB   // sqlite
}

func openRawDB(b *testing.B, backend, dsn string) *rawDB {
	b.Helper()
	ctx := context.Background()
	switch backend {
	case "postgres":
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		return &rawDB{pg: conn}
	case "sqlite":
		db, err := sql.Open("sqlite", dsn+"?_busy_timeout=10000&_journal_mode=WAL")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		return &rawDB{sql: db}
	}
	b.Fatalf("unknown backend %q", backend)
	return nil
}

func (db *rawDB) close() {
	if db.pg != nil {
		_ = db.pg.Close(context.Background())
	}
	if db.sql != nil {
		_ = db.sql.Close()
	}
}

// anyPending tells whether a lead still awaits routing (the router's queue, on its partial index).
func (db *rawDB) anyPending(b *testing.B) bool {
	const q = `SELECT EXISTS (SELECT 1 FROM leads WHERE stage = 'new' OR (stage = 'qualified' AND owner = ''))`
	var (
		pending bool
		err     error
	)
	if db.pg != nil {
		err = db.pg.QueryRow(context.Background(), q).Scan(&pending)
	} else {
		err = db.sql.QueryRowContext(context.Background(), q).Scan(&pending)
	}
	if err != nil {
		b.Fatalf("polling for pending leads: %v", err)
	}
	return pending
}

// plainUpdate sets owner and stage on the rows, batch at a time, and nothing else (no version
// check, no audit, no notification), and returns the time it took.
func (db *rawDB) plainUpdate(b *testing.B, ids []string, batch int) time.Duration {
	b.Helper()
	ctx := context.Background()
	var spent time.Duration
	for off := 0; off < len(ids); off += batch {
		end := min(off+batch, len(ids))
		owners := make([]string, 0, batch)
		for i := off; i < end; i++ {
			owners = append(owners, fmt.Sprintf("rep-%d", i%25))
		}
		start := time.Now()
		if db.pg != nil {
			// One set-based statement per batch, as the store writes decisions.
			tag, err := db.pg.Exec(ctx, `UPDATE leads SET owner = u.owner, stage = 'routed'
				FROM unnest($1::uuid[], $2::text[]) AS u(id, owner) WHERE leads.id = u.id`, ids[off:end], owners)
			if err != nil || tag.RowsAffected() != int64(end-off) {
				b.Fatalf("plain update: %v %v", tag, err)
			}
		} else {
			// One transaction per batch, one prepared statement per row.
			tx, err := db.sql.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			stmt, err := tx.PrepareContext(ctx, `UPDATE leads SET owner = ?, stage = 'routed' WHERE id = ?`)
			if err != nil {
				b.Fatal(err)
			}
			for i := off; i < end; i++ {
				if _, err := stmt.ExecContext(ctx, owners[i-off], ids[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		spent += time.Since(start)
	}
	return spent
}

// The SLA benchmark's team and policy: a three-second wall-clock first-touch SLA, one reassignment,
// then the manager.
const slaBenchPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: fast}
spec:
  qualification: {expression: "lead.score >= 60"}
  rules: [{name: all, teamRef: {name: sdr}, strategy: LeastLoaded}]
  sla:
    firstTouch: {within: 3s, clock: WallClock}
    onBreach: {reassign: true, maxReassignments: 1, escalateToManager: true}
`

// BenchmarkSLABreachDelay measures how late breaches are recorded under load: 10,000 routed leads
// whose first-touch deadlines are spread evenly over 20 seconds of real time (committed as routing
// decisions while the manager is stopped, deadlines from 5 s after that), while a new lead arrives
// every 50 ms and is routed with a 3-second wall-clock SLA. Every breach reassigns the lead once with a
// fresh 3-second SLA, then escalates to the manager, so the breaches keep coming. For every breach
// audit entry the delay is its time (the decision's clock reading) minus the deadline it records;
// none may be negative. Reports p50/p99/max of that delay (target: p99 under 1 s), and commit-p50/p99:
// deadline → the first change notification of the seeded lead, i.e. the breach commit visible to
// another reader.
func BenchmarkSLABreachDelay(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				benchSLABreachDelay(b, backend)
			}
		})
	}
}

func benchSLABreachDelay(b *testing.B, backend string) {
	const (
		n       = 10000
		spread  = 20 * time.Second
		lead0   = 5 * time.Second // from the end of seeding to the first deadline
		within  = 3 * time.Second
		arrival = 50 * time.Millisecond
	)
	e := startBenchEnv(b, backend, benchSDR, slaBenchPolicy)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.StopTimer()
	e.stop()

	policy, team := e.ns+"/fast", e.ns+"/sdr"
	seeded := make([]*lead.Lead, 0, n)
	for off := 0; off < n; off += 1000 {
		in := make([]store.LeadInput, 0, 1000)
		for i := off; i < off+1000; i++ {
			in = append(in, benchInput("open", i))
		}
		ls, err := e.store.UpsertLeads(ctx, in, "bench")
		if err != nil {
			b.Fatal(err)
		}
		seeded = append(seeded, ls...)
	}
	// Route them as the router would (qualified and routed in one decision, with its audit entries),
	// with deadlines spread over the next 20 seconds.
	t0 := time.Now().UTC()
	due := make(map[string]time.Time, n)
	ds := make([]store.Decision, 0, n)
	for i, l := range seeded {
		next := *l
		now := time.Now().UTC()
		d := t0.Add(lead0 + time.Duration(i)*spread/n).Truncate(time.Microsecond)
		owner := fmt.Sprintf("sdr-%02d", 1+i%10)
		next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageRouted, owner, team, policy, "all"
		next.QualifiedAt, next.RoutedAt, next.FirstTouchDue = &now, &now, &d
		due[l.ID] = d
		ds = append(ds, store.Decision{Lead: &next, Via: []lead.Stage{lead.StageQualified}, Events: []store.AuditEvent{
			{Actor: Actor, At: now, Type: "qualified", Reason: "passed the qualification gate of policy " + policy,
				Data: map[string]any{"policy": policy}},
			{Actor: Actor, At: now, Type: "routed", Reason: "seeded for the SLA benchmark",
				Data: map[string]any{"policy": policy, "rule": "all", "team": team, "owner": owner}},
		}})
	}
	for off := 0; off < len(ds); off += 500 {
		applied, conflicts, err := e.store.CommitDecisions(ctx, ds[off:min(off+500, len(ds))])
		if err != nil || len(conflicts) > 0 || len(applied) != min(500, len(ds)-off) {
			b.Fatalf("seeding handoffs: %d applied, %d conflicts, %v", len(applied), len(conflicts), err)
		}
	}

	// Commit-visible times: the first change notification of a seeded lead after its deadline is its
	// first breach (nothing else writes them).
	changes, err := e.store.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu      sync.Mutex
		visible = make(map[string]time.Time, n)
	)
	go func() {
		for c := range changes {
			at := time.Now()
			if d, ok := due[c.LeadID]; !ok || at.Before(d) {
				continue // not seeded, or the seeding commit's own notification
			}
			mu.Lock()
			if _, ok := visible[c.LeadID]; !ok {
				visible[c.LeadID] = at
			}
			mu.Unlock()
		}
	}()

	b.StartTimer()
	e.stop = startManager(b, e.ns, e.store, e.clk)
	defer e.stop()
	if late := time.Since(t0.Add(lead0)); late > 0 {
		b.Fatalf("seeding and starting the manager took until %s after the first deadline; the figures would be meaningless", late)
	}

	// The trickle: a new lead every 50 ms until the last seeded deadline.
	var trickle []string
	tick := time.NewTicker(arrival)
	end := t0.Add(lead0 + spread)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		l, _, err := e.store.UpsertLead(ctx, benchInput("arrival", i), "bench")
		if err != nil {
			b.Fatal(err)
		}
		trickle = append(trickle, l.ID)
	}
	tick.Stop()
	// Every handoff, including the reassigned ones and the last arrivals, has come due by now + 2 SLAs.
	time.Sleep(2*within + 500*time.Millisecond)
	waitFor(b, "every due handoff to be recorded", time.Minute, 50*time.Millisecond, func() bool {
		left, err := e.store.DueHandoffs(ctx, time.Now(), 1)
		if err != nil {
			b.Fatal(err)
		}
		return len(left) == 0
	})
	b.StopTimer()
	e.stop()

	var delays, commits []time.Duration
	early := 0
	check := func(id string, seededLead bool) {
		evs, err := e.store.Audit(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		first := true
		for _, ev := range evs {
			if ev.Type != "breached" {
				continue
			}
			s, _ := ev.Data["due"].(string)
			d, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				b.Fatalf("lead %s: breach entry without a due time: %+v", id, ev.Data)
			}
			if ev.At.Before(d) {
				early++
			}
			delays = append(delays, ev.At.Sub(d))
			if seededLead && first {
				first = false
				if !d.Equal(due[id]) {
					b.Fatalf("lead %s: first breach due %s, seeded %s", id, d, due[id])
				}
			}
		}
		if seededLead && first {
			b.Fatalf("lead %s: no breach recorded", id)
		}
	}
	for _, l := range seeded {
		check(l.ID, true)
	}
	for _, id := range trickle {
		check(id, false)
	}
	if early > 0 {
		b.Fatalf("%d breaches recorded before their deadline", early)
	}
	mu.Lock()
	for id, d := range due {
		at, ok := visible[id]
		if !ok {
			b.Fatalf("lead %s: no change notification for its breach", id)
		}
		commits = append(commits, at.Sub(d))
	}
	mu.Unlock()
	reportQuantiles(b, "", delays)
	reportQuantiles(b, "commit-", commits)
	b.ReportMetric(float64(len(delays)), "breaches")
	b.ReportMetric(float64(len(trickle)), "arrivals")
	b.ReportMetric(0, "ns/op")
}

package api_test

// The HTTP API under load (issue 15, item 3), with vegeta as a library against 127.0.0.1: single and
// batch upserts at rising rates on both stores, with the routing pass running beside the API as the
// manager runs it, in a server process of its own (load_server_test.go) whose resident memory is
// sampled throughout: the load generator's memory is not counted. A benchmark, not a test:
// the figures depend on the machine, and `make bench` prints them (docs/operating.md, "Load and
// overload", has the table). Each benchmark runs its whole scenario once.

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/leadops/leadops/internal/celenv"
	"github.com/leadops/leadops/internal/router"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// The pass criteria of a load step.
const (
	loadP99     = 50 * time.Millisecond
	loadStep    = 5 * time.Second
	loadBatch   = 100 // leads per batch request
	drainBound  = 60 * time.Second
	loadTimeout = 5 * time.Second
)

// Rising rates, in requests per second.
var (
	singleRates = []int{50, 100, 200, 400, 800, 1200, 1600, 2400, 3200}
	batchRates  = []int{2, 5, 10, 20, 40, 60, 80, 120}
)

// loadEnv is one store served by the API in a server process of its own (load_server_test.go), with
// the routing pass running beside it there, and read from this process for the queue checks.
type loadEnv struct {
	st   store.Backend // read-only: the server process writes
	url  string
	proc *serverProc
	seq  atomic.Int64
}

// newLoadDSN returns the DSN of a new, empty store.
func newLoadDSN(b *testing.B, backend string) string {
	b.Helper()
	switch backend {
	case "sqlite":
		return "sqlite://" + filepath.Join(b.TempDir(), "leads.db")
	case "postgres":
		return pgtest.NewDatabase(b)
	}
	b.Fatalf("unknown backend %q", backend)
	return ""
}

// startLoadEnv starts the server process on the store at dsn (migrating it) and opens the store
// read-only here. Both stores allow that: SQLite's WAL readers run beside the other process's writer,
// and PostgreSQL is a server.
func startLoadEnv(b *testing.B, dsn string) *loadEnv {
	b.Helper()
	proc := startServerProcess(b, dsn)
	st, err := storeopen.Open(context.Background(), dsn, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return &loadEnv{st: st, url: proc.url, proc: proc}
}

// stop stops the server process and returns its routing decisions and failed routing passes.
func (e *loadEnv) stop(b *testing.B) (decided, failed int64) {
	e.proc.stop(b)
	return e.proc.decided, e.proc.errs
}

// routerLoop runs routing passes as the manager's router controller does: a pass whenever the store
// reports a change, and another at once while a pass was cut short by its time budget. As the
// manager's wakeups do, the store's changes are read as they come and coalesced into one wake-up: a
// burst of changes costs one more pass, not a pass per changed lead, and the subscription does not
// pile up the ids of a flood.
type routerLoop struct {
	cancel  context.CancelFunc
	done    chan struct{}
	decided atomic.Int64
	errs    atomic.Int64
}

func startRouterLoop(b testing.TB, st store.Backend) *routerLoop {
	b.Helper()
	sel, err := celenv.Compile("lead.score >= 0")
	if err != nil {
		b.Fatal(err)
	}
	members := make([]routing.Candidate, 10)
	for i := range members {
		members[i] = routing.Candidate{Name: fmt.Sprintf("rep-%d", i), Capacity: 1 << 30, Weight: 1, Available: true}
	}
	in := router.Input{
		Policies: []*router.Policy{{Policy: &routing.Policy{Namespace: "load", Name: "inbound", Generation: 1, Priority: 10,
			Selector: sel, Rules: []routing.Rule{{Name: "all", Team: "sales", Strategy: routing.RoundRobin}}}}},
		Teams: map[router.TeamKey]*router.Team{{Namespace: "load", Name: "sales"}: {Members: members, Manager: "lead"}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	changes, err := st.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	wakec := make(chan struct{}, 1)
	go func() {
		for range changes { // closed when ctx ends
			select {
			case wakec <- struct{}{}:
			default:
			}
		}
	}()
	rl := &routerLoop{cancel: cancel, done: make(chan struct{})}
	r := &router.Router{Store: st}
	go func() {
		defer close(rl.done)
		for ctx.Err() == nil {
			in.Now = time.Now()
			rep, err := r.Run(ctx, in)
			if err != nil {
				if ctx.Err() == nil {
					rl.errs.Add(1)
				}
			} else {
				rl.decided.Add(int64(len(rep.Decisions)))
				if rep.Truncated {
					continue
				}
			}
			select {
			case <-ctx.Done():
			case <-wakec:
			case <-time.After(time.Second): // the controller's periodic resync
			}
		}
	}()
	return rl
}

func (rl *routerLoop) stop() {
	rl.cancel()
	<-rl.done
}

// pendingDrained waits until the router's queue is empty and returns how long that took.
func (e *loadEnv) pendingDrained(b *testing.B) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < drainBound {
		ls, err := e.st.PendingLeads(context.Background(), store.PendingCursor{}, 1)
		if err != nil {
			b.Fatal(err)
		}
		if len(ls) == 0 {
			return time.Since(start), true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start), false
}

// targeter makes upserts of new leads: one per request, or batch per request.
func (e *loadEnv) targeter(batch int) vegeta.Targeter {
	hdr := http.Header{"Authorization": {"Bearer " + tokenHubspot}, "Content-Type": {"application/json"}}
	return func(t *vegeta.Target) error {
		t.Method, t.Header = http.MethodPost, hdr
		var sb strings.Builder
		lead := func() {
			n := e.seq.Add(1)
			fmt.Fprintf(&sb, `{"externalId":"load-%d","email":"person%d@example%d.com","company":"Company %d","country":"DE","employees":%d,"score":%d,"source":"web","attributes":{"plan":"pro"}}`,
				n, n, n%997, n%997, n%5000, n%100)
		}
		if batch == 0 {
			t.URL = e.url + "/v1/leads"
			lead()
		} else {
			t.URL = e.url + "/v1/leads/batch"
			sb.WriteString(`{"leads":[`)
			for i := range batch {
				if i > 0 {
					sb.WriteByte(',')
				}
				lead()
			}
			sb.WriteString(`]}`)
		}
		t.Body = []byte(sb.String())
		return nil
	}
}

// stepResult is one rate held for loadStep.
type stepResult struct {
	mode           string
	rate           int // requests per second
	leadsPerSecond int
	p50, p99, max  time.Duration
	success        float64
	codes          map[string]int
	errors         int
	errorSample    []string
	retryAfter     int // 429/503 answers that carried Retry-After
	drain          time.Duration
	drained        bool
	rssMiB         float64 // peak VmRSS during the step
}

func (s stepResult) ok() bool {
	return s.p99 < loadP99 && s.errors == 0 && s.success == 1 && s.drained
}

func (s stepResult) String() string {
	return fmt.Sprintf("%-6s %5d req/s (%6d leads/s): p50 %6.1f ms, p99 %6.1f ms, max %7.1f ms, success %5.1f%%, codes %v, errors %d, Retry-After on %d, queue drained in %5.2f s (%v), peak RSS %.0f MiB%s",
		s.mode, s.rate, s.leadsPerSecond, ms(s.p50), ms(s.p99), ms(s.max), 100*s.success, s.codes, s.errors, s.retryAfter,
		s.drain.Seconds(), s.drained, s.rssMiB, errorNote(s.errorSample))
}

func errorNote(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	return "; errors such as " + strings.Join(errs, "; ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// attack holds rate for d and measures it.
func (e *loadEnv) attack(b *testing.B, mode string, batch, rate int, d time.Duration) stepResult {
	b.Helper()
	atk := vegeta.NewAttacker(vegeta.Timeout(loadTimeout), vegeta.Workers(16), vegeta.MaxWorkers(512), vegeta.MaxBody(4<<10))
	var m vegeta.Metrics
	res := stepResult{mode: mode, rate: rate, leadsPerSecond: rate * max(1, batch)}
	rss := sampleRSS(e.proc.pid())
	for r := range atk.Attack(e.targeter(batch), vegeta.Rate{Freq: rate, Per: time.Second}, d, mode) {
		m.Add(r)
		if (r.Code == http.StatusServiceUnavailable || r.Code == http.StatusTooManyRequests) && r.Headers.Get("Retry-After") != "" {
			res.retryAfter++
		}
	}
	m.Close()
	res.drain, res.drained = e.pendingDrained(b)
	res.rssMiB = rss.stop()
	res.p50, res.p99, res.max = m.Latencies.P50, m.Latencies.P99, m.Latencies.Max
	res.success, res.codes, res.errors = m.Success, m.StatusCodes, len(m.Errors)
	res.errorSample = m.Errors[:min(3, len(m.Errors))]
	return res
}

// ramp raises the rate until a step fails its criteria and returns every step run.
func (e *loadEnv) ramp(b *testing.B, mode string, batch int, rates []int) (steps []stepResult, best stepResult) {
	for _, rate := range rates {
		s := e.attack(b, mode, batch, rate, loadStep)
		b.Log(s)
		steps = append(steps, s)
		if !s.ok() {
			break
		}
		best = s
	}
	return steps, best
}

// BenchmarkAPILoad ramps single and batch upserts on each store until p99 reaches 50 ms or a request
// fails, then floods it far beyond that to show the overload answer (503 with Retry-After, bounded
// memory). Reported: the highest rates that held, their p99, and the peak RSS of the server process
// (API and routing pass; the load generator runs in the benchmark's own process).
func BenchmarkAPILoad(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			e := startLoadEnv(b, newLoadDSN(b, backend))
			rssStart := vmRSS(e.proc.pid())
			_, single := e.ramp(b, "single", 0, singleRates)
			_, batch := e.ramp(b, "batch", loadBatch, batchRates)
			// Far over capacity: four times the highest batch rate that held, and at least 200
			// batches of 100 leads a second.
			flood := e.attack(b, "flood", loadBatch, max(200, 4*batch.rate), 3*time.Second)
			b.Log(flood)
			checkFlood(b, flood)
			routed, failed := e.stop(b)
			if failed > 0 {
				b.Errorf("%d routing passes failed", failed)
			}
			b.ReportMetric(float64(single.rate), "single-req/s")
			b.ReportMetric(ms(single.p99), "single-p99-ms")
			b.ReportMetric(float64(batch.leadsPerSecond), "batch-leads/s")
			b.ReportMetric(ms(batch.p99), "batch-p99-ms")
			b.ReportMetric(float64(flood.codes["503"]), "flood-503s")
			b.ReportMetric(flood.rssMiB, "flood-peak-RSS-MiB")
			b.ReportMetric(rssStart, "start-RSS-MiB")
			b.ReportMetric(float64(routed), "routed-leads")
		})
	}
}

// checkFlood: a flood is answered 200 or 503, every 503 with Retry-After.
func checkFlood(b *testing.B, flood stepResult) {
	b.Helper()
	for code := range flood.codes {
		if code != "200" && code != "503" && code != "0" {
			b.Errorf("flood answered %s; want only 200 and 503 (0: the client's own timeout)", code)
		}
	}
	if flood.codes["503"] > 0 && flood.retryAfter != flood.codes["503"] {
		b.Errorf("%d of %d 503s had Retry-After", flood.retryAfter, flood.codes["503"])
	}
}

// envInt reads a positive number from the environment, or returns def.
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkAPIMillionLeads is the memory goal: the server process (API and routing pass) over a
// store of a million leads (closed ones, as in a store that has run for a while: seeded as described
// in seedLeads) stays under 150 MiB resident while it takes single and batch upserts
// (LEADOPS_LOAD_SINGLE_RATE requests a second for 10 s, then LEADOPS_LOAD_BATCH_RATE batches of 100)
// and is then flooded, on each store. LEADOPS_LOAD_LEADS changes the million.
func BenchmarkAPIMillionLeads(b *testing.B) {
	n := envInt("LEADOPS_LOAD_LEADS", 1_000_000)
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			dsn := newLoadDSN(b, backend)
			start := time.Now()
			viaStore := seedLeads(b, dsn, n)
			b.Logf("seeded %d leads in %s (%d through the store's batch upsert, the rest copied in SQL), all closed",
				n, time.Since(start).Round(time.Second), viaStore)

			e := startLoadEnv(b, dsn)
			pid := e.proc.pid()
			// Idle: after the routing pass that starts with the process has found nothing to do.
			if _, ok := e.pendingDrained(b); !ok {
				b.Fatal("the seeded store has leads waiting for routing")
			}
			time.Sleep(2 * time.Second)
			idle := vmRSS(pid)
			single := e.attack(b, "single", 0, envInt("LEADOPS_LOAD_SINGLE_RATE", 100), 10*time.Second)
			b.Log(single)
			batch := e.attack(b, "batch", loadBatch, envInt("LEADOPS_LOAD_BATCH_RATE", 10), 10*time.Second)
			b.Log(batch)
			flood := e.attack(b, "flood", loadBatch, 200, 5*time.Second)
			b.Log(flood)
			checkFlood(b, flood)
			peak := peakRSS(pid)
			routed, failed := e.stop(b)
			if failed > 0 {
				b.Errorf("%d routing passes failed", failed)
			}
			b.Logf("%d leads in the store: server RSS %.0f MiB idle, peak %.0f MiB under load and flood (goal: under 150 MiB); %d leads routed",
				n, idle, peak, routed)
			b.ReportMetric(float64(n), "leads")
			b.ReportMetric(idle, "idle-RSS-MiB")
			b.ReportMetric(peak, "peak-RSS-MiB")
			if peak >= 150 {
				b.Errorf("peak RSS %.0f MiB with %d leads in the store, over the 150 MiB goal", peak, n)
			}
		})
	}
}

// seedLeads fills the empty store at dsn with n closed leads and returns how many went through the
// store. The first ones go through the store's batch upsert (audit entries, feed, everything a real
// lead has); the rest are copied from them in SQL, which is minutes faster than a million upserts.
func seedLeads(b *testing.B, dsn string, n int) (viaStore int) {
	b.Helper()
	ctx := context.Background()
	st, err := storeopen.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	viaStore = min(n, 20_000)
	const chunk = 5000
	ins := make([]store.LeadInput, 0, chunk)
	for i := 0; i < viaStore; i += chunk {
		ins = ins[:0]
		for j := i; j < min(viaStore, i+chunk); j++ {
			ins = append(ins, store.LeadInput{ExternalID: fmt.Sprintf("seed-%d", j), Email: fmt.Sprintf("seed%d@example%d.com", j, j%997),
				Company: fmt.Sprintf("Company %d", j%997), Country: "DE", Employees: int64(j % 5000), Score: int64(j % 100), Source: "import",
				Attributes: map[string]any{"plan": "pro"}})
		}
		if _, err := st.UpsertLeads(ctx, ins, "seed"); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if path, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
		seedSQLite(b, path, viaStore, n)
	} else {
		seedPostgres(b, dsn, viaStore, n)
	}
	return viaStore
}

// seedSQLite copies leads viaStore..n-1 in SQL and closes every lead.
func seedSQLite(b *testing.B, path string, viaStore, n int) {
	b.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if n > viaStore {
		if _, err := db.Exec(`WITH RECURSIVE k(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM k WHERE n + 1 < ?)
		INSERT INTO leads (id, external_id, email, company, country, employees, score, source, attributes, stage,
			created_at, updated_at, qualified_at, closed_at, reason, policy)
		SELECT 'seed-id-' || n, 'seed-' || n, 'seed' || n || '@example' || (n % 997) || '.com', 'Company ' || (n % 997),
			'DE', n % 5000, n % 100, 'import', '{"plan":"pro"}', 'disqualified',
			1767225600000000 + n * 1000000, 1767225600000000 + n * 1000000, NULL, 1767225600000000 + n * 1000000,
			'score below 30', 'load/inbound'
		FROM k`, viaStore, n); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE leads SET stage = 'disqualified' WHERE stage = 'new'`); err != nil {
		b.Fatal(err)
	}
	var count int
	if err := db.QueryRow(`SELECT count(*) FROM leads`).Scan(&count); err != nil || count != n {
		b.Fatalf("the store holds %d leads (%v), want %d", count, err, n)
	}
}

// seedPostgres copies leads viaStore..n-1 in SQL (ids: md5 of the external id, as uuids; times one
// second apart from 2026-01-01, as in seedSQLite), closes every lead, and vacuums the table as
// autovacuum would have in a store that has run for a while.
func seedPostgres(b *testing.B, dsn string, viaStore, n int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if n > viaStore {
		if _, err := conn.Exec(ctx, `INSERT INTO leads (id, external_id, email, company, country, employees, score, source,
			attributes, stage, created_at, updated_at, closed_at, reason, policy)
		SELECT md5('seed-' || n)::uuid, 'seed-' || n, 'seed' || n || '@example' || (n % 997) || '.com', 'Company ' || (n % 997),
			'DE', n % 5000, n % 100, 'import', '{"plan":"pro"}', 'disqualified',
			t, t, t, 'score below 30', 'load/inbound'
		FROM generate_series($1::bigint, $2::bigint - 1) AS n,
			LATERAL (SELECT timestamptz '2026-01-01 00:00:00+00' + n * interval '1 second' AS t) AS times`, viaStore, n); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `UPDATE leads SET stage = 'disqualified' WHERE stage = 'new'`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE leads`); err != nil {
		b.Fatal(err)
	}
	var count int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM leads`).Scan(&count); err != nil || count != n {
		b.Fatalf("the store holds %d leads (%v), want %d", count, err, n)
	}
}

// rssSampler records the highest VmRSS of a process while it runs.
type rssSampler struct {
	stopc chan struct{}
	done  chan float64
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{}), done: make(chan float64, 1)}
	go func() {
		peak := vmRSS(pid)
		for {
			select {
			case <-s.stopc:
				s.done <- max(peak, vmRSS(pid))
				return
			case <-time.After(50 * time.Millisecond):
				peak = max(peak, vmRSS(pid))
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() float64 {
	close(s.stopc)
	return <-s.done
}

// procStatus reads a kB field of /proc/<pid>/status in MiB (0 where there is no /proc).
func procStatus(pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// vmRSS is the resident memory of process pid now, in MiB; peakRSS its highest since it started.
func vmRSS(pid int) float64   { return procStatus(pid, "VmRSS") }
func peakRSS(pid int) float64 { return procStatus(pid, "VmHWM") }

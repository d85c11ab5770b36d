package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// previewBenchLeads is the window the benchmark replays.
const previewBenchLeads = 100_000

// BenchmarkPreview100k runs `leadctl preview -f config/samples --from … --to … -o json` (the whole
// command: read-only open, the proposal, reading the window, the replay, the report) over a window of
// 100,000 leads on PostgreSQL and reports leads/s. The store is seeded with the store's batch upsert
// and batch commit: 100,000 leads over 30 days (batches of 500 arriving together every 3.6 hours,
// 2,000 company domains, 200 of them named accounts), of which those the samples' gate would pass
// and 7 in 10 were routed, touched after 20 minutes and accepted after 2 hours, as they arrived.
func BenchmarkPreview100k(b *testing.B) {
	dsn := pgtest.NewDatabase(b)
	from := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	to := seedPreviewBench(b, dsn, from, previewBenchLeads)
	args := []string{"preview", "-f", filepath.Join("..", "..", "config", "samples"), "--store", dsn,
		"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "-o", "json", "--fail-on", "leads<100000"}
	var spent time.Duration
	b.ResetTimer()
	for range b.N {
		var errOut strings.Builder
		e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errOut, getenv: func(string) string { return "" }}
		start := time.Now()
		if code := run(context.Background(), args, e); code != exitOK {
			b.Fatalf("preview: exit %d: %s", code, errOut.String())
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(previewBenchLeads*b.N)/spent.Seconds(), "leads/s")
	b.ReportMetric(spent.Seconds()/float64(b.N), "s/preview")
}

// seedPreviewBench writes n leads from `from` on and returns the end of their window.
func seedPreviewBench(b *testing.B, dsn string, from time.Time, n int) time.Time {
	b.Helper()
	ctx := context.Background()
	now := from
	st, err := storeopen.Open(ctx, dsn, store.Options{Clock: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := range 200 {
		if err := st.UpsertAccount(ctx, store.Account{Domain: fmt.Sprintf("co%d.example", i), Name: fmt.Sprintf("Co %d", i),
			Owner: fmt.Sprintf("ae-0%d", 1+i%3)}); err != nil {
			b.Fatal(err)
		}
	}
	const batch = 500
	step := 30 * 24 * time.Hour / time.Duration(n/batch)
	countries := []string{"US", "DE", "FR", "GB", "CA", "BR"}
	sdrs, aes := []string{"sdr-01", "sdr-02", "sdr-03"}, []string{"ae-01", "ae-02", "ae-03"}
	for off := 0; off < n; off += batch {
		now = from.Add(time.Duration(off/batch) * step)
		in := make([]store.LeadInput, min(batch, n-off))
		for j := range in {
			i := off + j
			src := "web"
			if i%20 == 0 {
				src = "partner"
			}
			in[j] = store.LeadInput{ExternalID: fmt.Sprintf("bench-%d", i), Email: fmt.Sprintf("lead%d@example.com", i),
				Company: fmt.Sprintf("Co %d", i%2000), Domain: fmt.Sprintf("co%d.example", i%2000), Country: countries[i%len(countries)],
				Industry: "software", Employees: int64((i * 37) % 3000), Source: src, Campaign: fmt.Sprintf("c%d", i%12),
				Score: int64((i * 7) % 100), Attributes: map[string]any{"plan": "pro"}}
		}
		ls, err := st.UpsertLeads(ctx, in, "bench")
		if err != nil {
			b.Fatal(err)
		}
		var ds []store.Decision
		for j, l := range ls {
			i := off + j
			if l.Source == "partner" || l.Score < 60 || i%10 >= 7 {
				continue
			}
			owner, rule, team := sdrs[i%3], "everyone-else", "default/sdr"
			if l.Employees >= 1000 {
				owner, rule, team = aes[i%3], "large-companies", "default/sales"
			}
			c := l.CreatedAt
			touched, accepted := c.Add(20*time.Minute), c.Add(2*time.Hour)
			next := *l
			next.Stage, next.Owner, next.Team, next.Policy, next.Rule = lead.StageAccepted, owner, team, "default/inbound", rule
			next.QualifiedAt, next.RoutedAt, next.TouchedAt, next.AcceptedAt = &c, &c, &touched, &accepted
			ds = append(ds, store.Decision{Lead: &next, Via: []lead.Stage{lead.StageQualified, lead.StageRouted, lead.StageTouched},
				Events: []store.AuditEvent{{Actor: "controller", At: c, Type: lead.EventRouted, Data: map[string]any{"owner": owner}}}})
		}
		if _, conflicts, err := st.CommitDecisions(ctx, ds); err != nil || len(conflicts) > 0 {
			b.Fatalf("seed decisions: %v %v", conflicts, err)
		}
	}
	return now.Add(step)
}

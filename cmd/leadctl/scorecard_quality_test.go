package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

// seedQuality writes the leads the data-quality figures below are computed from by hand. The period is
// January 2027; Q0 is created before it.
//
//	Q0  web   Dec 20  a@x.example   X      DE  10   (the original of W3; not in the period)
//	W1  web   Jan 5   b@acme.example Acme  DE  50   complete
//	W2  web   Jan 6   -             -      US  10   no email, no company
//	W3  web   Jan 7   a@x.example   X      -   0    no country, no employees, duplicate of Q0
//	W4  web   Jan 8   c@beta.example Beta  FR  0    no employees
//	F1  fair  Jan 10  d@gamma.example -    -   5    no company, no country
//	F2  fair  Jan 11  d@gamma.example Gamma GB 5    duplicate of F1
//	F3  fair  Jan 12  -             -      -   0    no email, company, country, employees
//	N1  -     Jan 15  e@delta.example Delta -  20   no country
func seedQuality(t *testing.T, st store.Backend, clk *fakeClock) {
	t.Helper()
	put := func(ext, source string, at time.Time, email, company, country string, employees int64) {
		clk.Set(at)
		if _, _, err := st.UpsertLead(context.Background(), store.LeadInput{ExternalID: ext, Source: source, Email: email,
			Company: company, Country: country, Employees: employees, Score: 50}, "hubspot"); err != nil {
			t.Fatalf("upsert %s: %v", ext, err)
		}
	}
	jan := func(d int) time.Time { return time.Date(2027, 1, d, 9, 0, 0, 0, time.UTC) }
	put("Q0", "web", time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC), "a@x.example", "X", "DE", 10)
	put("W1", "web", jan(5), "b@acme.example", "Acme", "DE", 50)
	put("W2", "web", jan(6), "", "", "US", 10)
	put("W3", "web", jan(7), "a@x.example", "X", "", 0)
	put("W4", "web", jan(8), "c@beta.example", "Beta", "FR", 0)
	put("F1", "fair", jan(10), "d@gamma.example", "", "", 5)
	put("F2", "fair", jan(11), "d@gamma.example", "Gamma", "GB", 5)
	put("F3", "fair", jan(12), "", "", "", 0)
	put("N1", "", jan(15), "e@delta.example", "Delta", "", 20)
	clk.Set(qualityAsOf)
}

var qualityAsOf = time.Date(2027, 2, 15, 12, 0, 0, 0, time.UTC)

// wantQuality: counts of email, company, country, employees missing, and duplicates, per source.
var wantQuality = map[string]struct {
	leads  int64
	counts [5]int64
}{
	"all leads":   {8, [5]int64{2, 3, 4, 3, 2}},
	"web":         {4, [5]int64{1, 1, 1, 2, 1}},
	"fair":        {3, [5]int64{1, 2, 2, 1, 1}},
	"(no source)": {1, [5]int64{0, 0, 1, 0, 0}},
}

func qualityJSON(t *testing.T, conn ...string) *Scorecard {
	t.Helper()
	args := append([]string{"scorecard", "--from", "2027-01-01", "--to", "2027-01-31", "--as-of", qualityAsOf.Format(time.RFC3339), "-o", "json"}, conn...)
	code, stdout, stderr := leadctl(t, nil, args...)
	if code != exitOK {
		t.Fatalf("scorecard: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var sc Scorecard
	if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, stdout)
	}
	return &sc
}

// TestScorecardDataQuality: on both backends, through the store and through the HTTP API, the
// scorecard's data-quality section equals the hand-computed figures and the store's DataQuality over
// the same leads, and agrees with the funnel's leads and duplicates per source.
func TestScorecardDataQuality(t *testing.T) {
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			clk := &fakeClock{}
			st, err := storeopen.Open(context.Background(), dsn, store.Options{Clock: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			seedQuality(t, st, clk)
			dir := t.TempDir()
			serverTokens, clientToken := filepath.Join(dir, "server-tokens"), filepath.Join(dir, "token")
			write(t, serverTokens, "ops-team:"+apiToken+"\n")
			write(t, clientToken, apiToken+"\n")
			url := serveAPI(t, st, serverTokens)

			viaStore := qualityJSON(t, "--store", dsn)
			viaAPI := qualityJSON(t, "--server", url, "--token-file", clientToken)
			if !reflect.DeepEqual(viaStore.DataQuality, viaAPI.DataQuality) {
				a, _ := json.Marshal(viaStore.DataQuality)
				b, _ := json.Marshal(viaAPI.DataQuality)
				t.Errorf("the HTTP API's data quality differs:\nstore %s\napi   %s", a, b)
			}
			dq := viaStore.DataQuality

			// Hand-computed.
			rows := append([]QualityRow{dq.Total}, dq.Sources...)
			if names := []string{rows[0].Name, rows[1].Name, rows[2].Name, rows[3].Name}; len(rows) != 4 ||
				!reflect.DeepEqual(names, []string{"all leads", "fair", "web", "(no source)"}) {
				t.Fatalf("data-quality rows %+v", rows)
			}
			for _, r := range rows {
				want := wantQuality[r.Name]
				if r.Leads != want.leads {
					t.Errorf("%s: %d leads, want %d", r.Name, r.Leads, want.leads)
				}
				for i, f := range store.DataQualityFields {
					if r.Counts[f] != want.counts[i] {
						t.Errorf("%s %s: %d, want %d", r.Name, f, r.Counts[f], want.counts[i])
					}
					if p := float64(want.counts[i]) * 100 / float64(want.leads); math.Abs(r.Percent[f]-p) > 1e-9 {
						t.Errorf("%s %s: %v%%, want %v%%", r.Name, f, r.Percent[f], p)
					}
				}
			}

			// The store's DataQuality over the same leads: those created in the period [Start, End).
			sqs, err := st.DataQuality(context.Background(), store.DataQualityQuery{Since: viaStore.Start, Until: viaStore.End})
			if err != nil {
				t.Fatal(err)
			}
			bySource := map[string]QualityRow{}
			for _, r := range dq.Sources {
				bySource[r.Name] = r
			}
			if len(sqs) != len(dq.Sources) {
				t.Errorf("store: %d sources %+v, scorecard %d", len(sqs), sqs, len(dq.Sources))
			}
			for _, sq := range sqs {
				name := sq.Source
				if name == "" {
					name = noSource
				}
				r := bySource[name]
				if r.Leads != sq.Leads || !reflect.DeepEqual(r.Counts, sq.Missing) {
					t.Errorf("%s: scorecard %d leads %v, store's DataQuality %d leads %v", name, r.Leads, r.Counts, sq.Leads, sq.Missing)
				}
				for _, f := range store.DataQualityFields {
					if math.Abs(r.Percent[f]-100*sq.Ratio(f)) > 1e-9 {
						t.Errorf("%s %s: scorecard %v%%, store's ratio %v", name, f, r.Percent[f], sq.Ratio(f))
					}
				}
			}

			// The funnel's rows by source count the same leads and duplicates.
			for _, r := range viaStore.Sources {
				q := bySource[r.Name]
				if r.Leads != q.Leads || r.Duplicates != q.Counts[store.FieldDuplicates] {
					t.Errorf("%s: funnel %d leads %d duplicates, data quality %d and %d", r.Name, r.Leads, r.Duplicates, q.Leads, q.Counts[store.FieldDuplicates])
				}
			}
		})
	}
}

// TestScorecardDataQualityOutputs: the table and the CSV show the section.
func TestScorecardDataQualityOutputs(t *testing.T) {
	clk := &fakeClock{}
	h := newHarnessWith(t, store.Options{Clock: clk.Now})
	seedQuality(t, h.st, clk)
	args := []string{"scorecard", "--from", "2027-01-01", "--to", "2027-01-31", "--as-of", qualityAsOf.Format(time.RFC3339)}

	code, table, stderr := leadctl(t, nil, append(args, h.connArgs...)...)
	if code != exitOK {
		t.Fatalf("table: %d %s", code, stderr)
	}
	for _, want := range []string{
		"DATA QUALITY BY SOURCE LEADS NO EMAIL NO COMPANY NO COUNTRY NO EMPLOYEES DUPLICATE RATE",
		"all leads 8 25% 37.5% 50% 37.5% 25%",
		"fair 3 33.33% 66.67% 66.67% 33.33% 33.33%",
		"web 4 25% 25% 25% 50% 25%",
		"(no source) 1 0% 0% 100% 0% 0%",
	} {
		if !strings.Contains(words(table), want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	code, out, stderr := leadctl(t, nil, append(append(args, "-o", "csv"), h.connArgs...)...)
	if code != exitOK {
		t.Fatalf("csv: %d %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("-o csv is not CSV: %v\n%s", err, out)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	got := map[string][]string{}
	for _, r := range recs[1:] {
		if r[col["section"]] == "data_quality" {
			got[r[col["name"]]] = r
		}
	}
	if len(got) != 4 {
		t.Fatalf("data_quality rows %v", got)
	}
	f := got["fair"]
	if f[col["leads"]] != "3" || f[col["duplicates"]] != "1" || f[col["missing_email"]] != "1" || f[col["missing_company"]] != "2" ||
		f[col["missing_country"]] != "2" || f[col["missing_employees"]] != "1" || !strings.HasPrefix(f[col["missing_company_percent"]], "66.66") ||
		!strings.HasPrefix(f[col["duplicates_percent"]], "33.33") {
		t.Errorf("csv fair row %v", f)
	}
	if a := got["all leads"]; a[col["missing_country_percent"]] != "50" || a[col["missing_employees_percent"]] != "37.5" {
		t.Errorf("csv all-leads row %v", a)
	}
}

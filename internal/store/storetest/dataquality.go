package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
)

func init() {
	routerTests = append(routerTests, struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{"DataQuality", testDataQuality})
}

// testDataQuality: per source, the leads of a window and how many miss each field or are duplicates,
// against hand-counted values; by policy; an empty window.
func testDataQuality(t *testing.T, s store.Store) {
	put := func(ext string, mut func(*store.LeadInput)) string {
		t.Helper()
		in := input(ext)
		in.Source = "web"
		mut(&in)
		l, _, err := s.UpsertLead(ctx(t), in, actor)
		if err != nil {
			t.Fatalf("upsert %s: %v", ext, err)
		}
		return l.ID
	}
	first := put("dq-1", func(*store.LeadInput) {})
	put("dq-2", func(in *store.LeadInput) { in.Email, in.Company = "", "" })
	put("dq-3", func(in *store.LeadInput) { in.Country, in.Employees = "", 0 })
	put("dq-4", func(in *store.LeadInput) { in.Email = input("dq-1").Email }) // a duplicate of dq-1
	put("dq-5", func(in *store.LeadInput) { in.Source, in.Company = "fair", "" })
	put("dq-6", func(in *store.LeadInput) { in.Source = "" })

	l, err := s.GetLead(ctx(t), first)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, routeDecision(l, "rep-1", nil)) // dq-1 is governed by ns/p

	m := func(email, company, country, employees, dups int64) map[string]int64 {
		return map[string]int64{store.FieldEmail: email, store.FieldCompany: company, store.FieldCountry: country,
			store.FieldEmployees: employees, store.FieldDuplicates: dups}
	}
	got, err := s.DataQuality(ctx(t), store.DataQualityQuery{Since: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SourceQuality{
		{Source: "web", Leads: 4, Missing: m(1, 1, 1, 1, 1)},
		{Source: "", Leads: 1, Missing: m(0, 0, 0, 0, 0)},
		{Source: "fair", Leads: 1, Missing: m(0, 1, 0, 0, 0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DataQuality = %+v\nwant %+v", got, want)
	}
	if r := got[0].Ratio(store.FieldEmail); r != 0.25 {
		t.Errorf("web email ratio %v, want 0.25", r)
	}
	got, err = s.DataQuality(ctx(t), store.DataQualityQuery{Since: time.Now().Add(-24 * time.Hour), Policy: "ns/p"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.SourceQuality{{Source: "web", Leads: 1, Missing: m(0, 0, 0, 0, 0)}}; !reflect.DeepEqual(got, want) {
		t.Errorf("DataQuality of ns/p = %+v, want %+v", got, want)
	}
	if got, err := s.DataQuality(ctx(t), store.DataQualityQuery{Since: time.Now().Add(time.Hour)}); err != nil || len(got) != 0 {
		t.Errorf("DataQuality of a future window = %+v, %v", got, err)
	}

	// Until closes the period: a lead created at or after it is not counted.
	time.Sleep(10 * time.Millisecond)
	until := time.Now()
	time.Sleep(10 * time.Millisecond)
	put("dq-7", func(in *store.LeadInput) { in.Source = "late" })
	since := until.Add(-24 * time.Hour)
	if got, err := s.DataQuality(ctx(t), store.DataQualityQuery{Since: since, Until: until}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DataQuality until before dq-7 = %+v, %v\nwant %+v", got, err, want)
	}
	got, err = s.DataQuality(ctx(t), store.DataQualityQuery{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[3].Source != "late" || got[3].Leads != 1 {
		t.Errorf("DataQuality without Until = %+v, want web, \"\", fair, late", got)
	}
	if got, err := s.DataQuality(ctx(t), store.DataQualityQuery{Since: since, Until: since.Add(time.Hour)}); err != nil || len(got) != 0 {
		t.Errorf("DataQuality of a past period = %+v, %v", got, err)
	}
	if got, err := s.DataQuality(ctx(t), store.DataQualityQuery{Since: since, Until: until, Policy: "ns/p"}); err != nil ||
		!reflect.DeepEqual(got, []store.SourceQuality{{Source: "web", Leads: 1, Missing: m(0, 0, 0, 0, 0)}}) {
		t.Errorf("DataQuality of ns/p until = %+v, %v", got, err)
	}
}

package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// DataQuality is the scorecard's data-quality section: over the leads created in the period (the
// LEADS of the funnel rows), all of them and per source, how many miss each field and how many are
// duplicates, by the definitions of the store's DataQuality (store.SourceQuality): email, company,
// country empty, employees 0, duplicates linked to an open lead (duplicateOf). It is computed from the
// leads the scorecard already reads, so --store and --server agree.
type DataQuality struct {
	Total   QualityRow   `json:"total"`
	Sources []QualityRow `json:"sources"`
}

// QualityRow is one group's data quality. Counts and Percent are keyed by store.DataQualityFields
// (email, company, country, employees: leads missing the field; duplicates: leads that are
// duplicates); Percent is Counts over Leads in percent, empty with no leads.
type QualityRow struct {
	Name    string             `json:"name"`
	Leads   int64              `json:"leads"`
	Counts  map[string]int64   `json:"counts"`
	Percent map[string]float64 `json:"percent"`
}

// missingField says whether l misses a data-quality field (or, for duplicates, is one), as the
// store's DataQuality counts it.
func missingField(l *lead.Lead, field string) bool {
	switch field {
	case store.FieldEmail:
		return l.Email == ""
	case store.FieldCompany:
		return l.Company == ""
	case store.FieldCountry:
		return l.Country == ""
	case store.FieldEmployees:
		return l.Employees == 0
	case store.FieldDuplicates:
		return l.DuplicateOf != ""
	}
	return false
}

// qualityRow counts, among ls, the leads created in [start, end) and their missing fields.
func qualityRow(name string, ls []*lead.Lead, start, end time.Time) QualityRow {
	r := QualityRow{Name: name, Counts: map[string]int64{}, Percent: map[string]float64{}}
	for _, f := range store.DataQualityFields {
		r.Counts[f] = 0
	}
	for _, l := range ls {
		if !within(&l.CreatedAt, start, end) {
			continue
		}
		r.Leads++
		for _, f := range store.DataQualityFields {
			if missingField(l, f) {
				r.Counts[f]++
			}
		}
	}
	if r.Leads > 0 {
		for _, f := range store.DataQualityFields {
			r.Percent[f] = float64(r.Counts[f]) * 100 / float64(r.Leads)
		}
	}
	return r
}

// dataQuality computes the section: the total, and a row per source with leads created in the
// period, in name order with (no source) last (as the funnel's "By source").
func dataQuality(ls []*lead.Lead, start, end time.Time) DataQuality {
	dq := DataQuality{Total: qualityRow(allLeads, ls, start, end), Sources: []QualityRow{}}
	groups := map[string][]*lead.Lead{}
	for _, l := range ls {
		if !within(&l.CreatedAt, start, end) {
			continue
		}
		k := l.Source
		if k == "" {
			k = noSource
		}
		groups[k] = append(groups[k], l)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == noSource) != (names[j] == noSource) {
			return names[j] == noSource
		}
		return names[i] < names[j]
	})
	for _, k := range names {
		dq.Sources = append(dq.Sources, qualityRow(k, groups[k], start, end))
	}
	return dq
}

var qualityHeader = []string{"LEADS", "NO EMAIL", "NO COMPANY", "NO COUNTRY", "NO EMPLOYEES", "DUPLICATE RATE"}

func qualityCells(r QualityRow) []string {
	cells := []string{countCell(r.Leads)}
	for _, f := range store.DataQualityFields {
		if p, ok := r.Percent[f]; ok {
			cells = append(cells, percentCell(&p))
		} else {
			cells = append(cells, "-")
		}
	}
	return cells
}

func writeQualityTable(w io.Writer, dq DataQuality) {
	const title = "Data quality by source"
	fmt.Fprintln(w)
	rows := append([]QualityRow{dq.Total}, dq.Sources...)
	width := len(title)
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\t%s\t\n", width, strings.ToUpper(title), strings.Join(qualityHeader, "\t"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%-*s\t%s\t\n", width, r.Name, strings.Join(qualityCells(r), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w, "  (share of the leads created in the period missing each field, and of duplicates of an open lead)")
}

// qualityCSVHeader are the data-quality columns of the CSV, after the goal columns: counts, then
// percentages.
var qualityCSVHeader = []string{"missing_email", "missing_company", "missing_country", "missing_employees",
	"missing_email_percent", "missing_company_percent", "missing_country_percent", "missing_employees_percent", "duplicates_percent"}

// qualityCSV returns a row's data-quality columns (qualityCSVHeader) and its duplicates count.
func qualityCSV(r QualityRow, num func(*float64) string) (cols []string, duplicates string) {
	for _, f := range store.DataQualityFields {
		if f != store.FieldDuplicates {
			cols = append(cols, countCell(r.Counts[f]))
		}
	}
	for _, f := range store.DataQualityFields {
		if p, ok := r.Percent[f]; ok {
			cols = append(cols, num(&p))
		} else {
			cols = append(cols, "")
		}
	}
	return cols, countCell(r.Counts[store.FieldDuplicates])
}

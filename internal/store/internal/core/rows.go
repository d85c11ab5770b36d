package core

import (
	"sort"

	"github.com/leadops/leadops/internal/store"
)

// Rows is what both drivers' result sets (pgx.Rows, *sql.Rows) offer the shared scanners below.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// DataQualitySelect is the select list and grouping of the data-quality aggregate; each backend adds
// FROM leads WHERE … in its own placeholder dialect between the two.
const (
	DataQualitySelect = `SELECT source, count(*),
		sum(CASE WHEN email = '' THEN 1 ELSE 0 END), sum(CASE WHEN company = '' THEN 1 ELSE 0 END),
		sum(CASE WHEN country = '' THEN 1 ELSE 0 END), sum(CASE WHEN employees = 0 THEN 1 ELSE 0 END),
		sum(CASE WHEN duplicate_of <> '' THEN 1 ELSE 0 END)`
	DataQualityGroup = ` GROUP BY source ORDER BY count(*) DESC, source`
)

// ScanSourceQuality reads the rows of the data-quality aggregate.
func ScanSourceQuality(rows Rows) ([]store.SourceQuality, error) {
	var out []store.SourceQuality
	for rows.Next() {
		var (
			sq                      store.SourceQuality
			email, co, ctry, emp, d int64
		)
		if err := rows.Scan(&sq.Source, &sq.Leads, &email, &co, &ctry, &emp, &d); err != nil {
			return nil, err
		}
		sq.Missing = map[string]int64{store.FieldEmail: email, store.FieldCompany: co, store.FieldCountry: ctry,
			store.FieldEmployees: emp, store.FieldDuplicates: d}
		out = append(out, sq)
	}
	return out, rows.Err()
}

// AttachDomains fills each account's Domains from (account, domain) rows: its key first, then its
// other domains in order.
func AttachDomains(rows Rows, out []store.Account) error {
	extra := map[string][]string{}
	for rows.Next() {
		var acc, d string
		if err := rows.Scan(&acc, &d); err != nil {
			return err
		}
		if d != acc {
			extra[acc] = append(extra[acc], d)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range out {
		ds := extra[out[i].Domain]
		sort.Strings(ds)
		out[i].Domains = append([]string{out[i].Domain}, ds...)
	}
	return nil
}

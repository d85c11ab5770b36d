package store

import "time"

// Data-quality fields: what a lead can miss (an empty value; invalid values are refused at ingest,
// so missing is what is left to count) and FieldDuplicates, the share of duplicates.
const (
	FieldEmail      = "email"
	FieldCompany    = "company"
	FieldCountry    = "country"
	FieldEmployees  = "employees"
	FieldDuplicates = "duplicates"
)

// DataQualityFields lists the fields DataQuality counts, in order.
var DataQualityFields = []string{FieldEmail, FieldCompany, FieldCountry, FieldEmployees, FieldDuplicates}

// DataQualityQuery selects the leads DataQuality counts: created at or after Since and, when Until is
// set, before Until (a closed period [Since, Until), such as a scorecard's quarter; zero means up to
// now), and governed by Policy ("namespace/name") when set. Both are range scans of an index on
// (created_at) and (policy, created_at).
type DataQualityQuery struct {
	Since  time.Time
	Until  time.Time
	Policy string
}

// SourceQuality counts, for one source (the lead's source as sent; "" when none), its leads and how
// many miss each field (email, company, country: empty; employees: 0) or are duplicates of an open
// lead.
type SourceQuality struct {
	Source  string           `json:"source"`
	Leads   int64            `json:"leads"`
	Missing map[string]int64 `json:"missing"`
}

// Ratio is the share of the source's leads missing field (0 with no leads).
func (q SourceQuality) Ratio(field string) float64 {
	if q.Leads == 0 {
		return 0
	}
	return float64(q.Missing[field]) / float64(q.Leads)
}

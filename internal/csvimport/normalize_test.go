package csvimport

import (
	"strings"
	"testing"
)

// messyFile is an export the way spreadsheets look: mixed case, country names, national phone
// numbers, URLs for domains, free-mail addresses, and two values that cannot be normalized.
const messyFile = "Lead ID,Work Email,Company,Website,Country,Phone\n" + // 1
	"M1, Jane.Doe@EU.Acme.co.uk ,\"ACME, Inc.\",,United Kingdom,020 7946 0018\n" + // 2
	"M2,bob@Gmail.com,Bob's Shop,,USA,(415) 555-2671\n" + // 3
	"M3,ann@initech.com,Initech B.V.,https://www.Initech.com.au/about,Australia,(02) 9374 4000\n" + // 4
	"M4,cy@globex.de,Globex GmbH,,Deutschland,030 1234567\n" + // 5
	"M5,dee@acme.com,Acme,,Atlantis,\n" + // 6: unknown country
	"M6,eve@acme.com,Acme,,DE,12345\n" // 7: not a phone number in DE

func TestParseNormalizesMessyValues(t *testing.T) {
	m := Mapping{}
	if err := m.Parse("externalId=Lead ID,email=Work Email,domain=Website"); err != nil {
		t.Fatal(err)
	}
	res, err := Parse(strings.NewReader(messyFile), m)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, p.String())
	}
	want := []string{
		`line 6: column "Country" (country) unknown country`,
		`line 7: column "Phone" (phone) not a phone number for region DE`,
	}
	if len(problems) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, problems[i], w)
		}
	}
	good := res.Good()
	if len(good) != 4 {
		t.Fatalf("%d good rows", len(good))
	}
	type row struct{ email, domain, country, phone, company string }
	for i, w := range []row{
		{"jane.doe@eu.acme.co.uk", "acme.co.uk", "GB", "+442079460018", "ACME, Inc."},
		{"bob@gmail.com", "", "US", "+14155552671", "Bob's Shop"},
		{"ann@initech.com", "initech.com.au", "AU", "+61293744000", "Initech B.V."},
		{"cy@globex.de", "globex.de", "DE", "+49301234567", "Globex GmbH"},
	} {
		g := good[i]
		if got := (row{g.Email, g.Domain, g.Country, g.Phone, g.Company}); got != w {
			t.Errorf("row %d = %+v, want %+v", i, got, w)
		}
	}
	if o := good[0].Original; o["email"] != "Jane.Doe@EU.Acme.co.uk" || o["country"] != "United Kingdom" || o["phone"] != "020 7946 0018" || o["domain"] != "" {
		t.Errorf("original of row 0 = %v", o)
	}
	if o := good[2].Original; o["domain"] != "https://www.Initech.com.au/about" {
		t.Errorf("original of row 2 = %v", o)
	}
}

package csvimport

import (
	"strings"
	"testing"
)

// badFile has a header on line 1, good rows on lines 2, 5 and 9 (line 5 holds a quoted newline, so the
// next row starts on line 7), and problems on every other row.
const badFile = "\ufeffExternal ID,E-Mail,Company Name,Domain,Employees,Score,Plan\n" + // 1
	"L1,ann@example.com,Acme,acme.com,10,50,pro\n" + // 2
	"L2,not-an-email,Beta,beta.io,5,10,\n" + // 3
	"L3,bob@example.com,Gamma,gamma.io,-4,10,\n" + // 4
	"L4,cy@example.com,Delta,delta.io,5,10,\"pro\nplus\"\n" + // 5-6
	"L5,dee@example.com,Eps,eps.io,many,10,\n" + // 7
	"L1,eve@example.com,Zeta,zeta.io,1,1,\n" + // 8: duplicate of line 2
	"L6,fay@example.com,Eta,eta.io,1,1,free\n" + // 9
	"L7,gus@example.com,Theta\n" + // 10: too few columns
	",hal@example.com,Iota,iota.io,1,1,\n" + // 11: no external id
	"L8,ida@example.com,Kappa,kap pa.io,1,2000,\n" // 12: bad domain and score

func TestParseReportsEveryBadRowByLine(t *testing.T) {
	m := Mapping{}
	if err := m.Parse("email=E-Mail,company=Company Name"); err != nil {
		t.Fatal(err)
	}
	if err := m.Parse("attributes.plan=Plan"); err != nil {
		t.Fatal(err)
	}
	res, err := Parse(strings.NewReader(badFile), m)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line    int
		contain string
	}{
		{3, `column "E-Mail" (email) is not a valid email address`},
		{4, `column "Employees" (employees) must not be negative`},
		{7, `column "Employees" (employees) is not a whole number`},
		{8, `column "External ID" (externalId) repeats the external id of line 2`},
		{10, `has 3 columns, the header has 7`},
		{11, `column "External ID" (externalId) is required`},
		{12, `column "Domain" (domain) is not a valid domain name`},
		{12, `column "Score" (score) must be between 0 and 1000`},
	}
	if len(res.Problems) != len(want) {
		for _, p := range res.Problems {
			t.Log(p)
		}
		t.Fatalf("got %d problems, want %d", len(res.Problems), len(want))
	}
	for i, w := range want {
		got := res.Problems[i]
		if got.Line != w.line || !strings.Contains(got.String(), w.contain) {
			t.Errorf("problem %d = %q, want line %d containing %q", i, got, w.line, w.contain)
		}
		// Messages never quote cell values: they may be personal data.
		for _, pii := range []string{"not-an-email", "bob@example.com", "kap pa.io"} {
			if strings.Contains(got.String(), pii) {
				t.Errorf("problem %q quotes a value", got)
			}
		}
	}
	good := res.Good()
	var ids []string
	for _, in := range good {
		ids = append(ids, in.ExternalID)
	}
	if got := strings.Join(ids, ","); got != "L1,L4,L6" {
		t.Fatalf("good rows = %s, want L1,L4,L6", got)
	}
	if good[0].Attributes["plan"] != "pro" || good[1].Attributes["plan"] != "pro\nplus" || good[0].Employees != 10 || good[0].Score != 50 {
		t.Fatalf("good rows not converted: %+v", good[:2])
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, mapping, want string
	}{
		{"empty file", "", "", "the file is empty"},
		{"mapped column missing", "externalId,Mail\nL1,a@b.co\n", "email=E-Mail", `the file has no column "E-Mail"`},
		{"unknown field", "externalId\nL1\n", "fax=Fax", `unknown lead field "fax"`},
		{"no external id column", "Mail\na@b.co\n", "email=Mail", "no column holds the external id"},
		{"ambiguous column", "externalId,Mail,Mail\nL1,a,b\n", "email=Mail", `more than one column "Mail"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Mapping{}
			err := m.Parse(tc.mapping)
			if err == nil {
				_, err = Parse(strings.NewReader(tc.file), m)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestMappingSyntax(t *testing.T) {
	for _, spec := range []string{"email", "=Mail", "email=", "attributes.=X"} {
		if err := (Mapping{}).Parse(spec); err == nil {
			t.Errorf("Parse(%q) accepted a bad mapping", spec)
		}
	}
}

func TestParseNormalizesLikeTheStore(t *testing.T) {
	// Headers named like the fields need no mapping; blanks around cells and an upper-case domain are
	// cosmetic, not errors.
	res, err := Parse(strings.NewReader("external_id,email,domain\n L1 , ann@example.com ,Acme.COM\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	if got := res.Good()[0]; got.ExternalID != "L1" || got.Email != "ann@example.com" {
		t.Fatalf("got %+v", got)
	}
}

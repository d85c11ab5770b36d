package csvimport

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// FuzzParse imports arbitrary files with arbitrary --map specs and checks what `leadctl import` relies
// on: no panic; every problem points at a data line of the file (never the header, never line 0); the
// rows it would import pass the API's validation unchanged (they are already normalized), carry
// distinct external ids, and only lines it reported no problem for.
func FuzzParse(f *testing.F) {
	f.Add([]byte(badFile), "email=E-Mail,company=Company Name,attributes.plan=Plan")
	f.Add([]byte("externalId,email,score\nL1,ann@example.com,10\nL2,bob@example.com,20\n"), "")
	f.Add([]byte("external_id,E-Mail\nL1,ann@example.com\n"), "email=E-Mail")
	f.Add([]byte("a,a,b\n1,2,3\n"), "externalId=a")
	f.Add([]byte("id,phone,employees\nL1,+1 415 555 0100,12\n"), "externalId=id")
	f.Add([]byte("externalId\n\"L1\nL2\"\n\"unterminated\n"), "")
	f.Add([]byte("\ufeffExternal ID;Email\nL1;x@y.z\n"), "")
	f.Add([]byte("externalId,domain\nL1,Example.COM.\nL2,\xff\n"), "attributes.x=domain")
	f.Add([]byte(""), "")
	f.Add([]byte("externalId,score\nL1,99999999999999999999\n"), "score=score,,=")
	f.Fuzz(func(t *testing.T, data []byte, spec string) {
		m := Mapping{}
		if err := m.Parse(spec); err != nil {
			m = nil
		}
		res, err := Parse(bytes.NewReader(data), m)
		if err != nil {
			if res != nil {
				t.Fatalf("an error with a result: %v", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for _, p := range res.Problems {
			if p.Line < 2 || p.Line > lines {
				t.Fatalf("problem %q points at line %d of a %d-line file", p, p.Line, lines)
			}
			if strings.TrimSpace(p.Message) == "" {
				t.Fatalf("problem without a message on line %d", p.Line)
			}
		}
		bad := res.BadLines()
		seen := map[string]int{}
		for _, row := range res.Rows {
			if row.Line < 2 || row.Line > lines {
				t.Fatalf("row at line %d of a %d-line file", row.Line, lines)
			}
			if bad[row.Line] {
				continue
			}
			again, errs := validate.NormalizeLead("", row.Lead)
			if len(errs) > 0 {
				t.Fatalf("line %d would be imported but the API refuses it: %v", row.Line, errs)
			}
			if !reflect.DeepEqual(withoutOriginal(again), withoutOriginal(row.Lead)) {
				t.Fatalf("line %d would be imported unnormalized:\n got %+v\nagain %+v", row.Line, row.Lead, again)
			}
			if prev, dup := seen[row.Lead.ExternalID]; dup {
				t.Fatalf("lines %d and %d would both import external id %q", prev, row.Line, row.Lead.ExternalID)
			}
			seen[row.Lead.ExternalID] = row.Line
		}
		if n := len(res.Good()); n != len(seen) {
			t.Fatalf("Good() returned %d rows, %d lines have no problem", n, len(seen))
		}
	})
}

func withoutOriginal(in store.LeadInput) store.LeadInput {
	in.Original = nil
	return in
}

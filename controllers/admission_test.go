package controllers

import (
	"os"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"
)

// The valid objects the tests build on; testdata/admission.yaml holds the same ones as its bases.
const validTeam = `
apiVersion: leadops.io/v1alpha1
kind: Team
metadata: {name: sdr}
spec:
  function: SDR
  timezone: America/New_York
  workingHours: [{days: [Monday], start: "09:00", end: "17:00"}]
  members: [{name: sdr-01, capacity: 10}]
`

const validPolicy = `
apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata: {name: inbound}
spec:
  rules: [{name: all, teamRef: {name: sdr}, strategy: LeastLoaded}]
  sla:
    firstTouch: {within: 1h, warnBefore: 15m}
`

const validGoal = `
apiVersion: leadops.io/v1alpha1
kind: TeamGoal
metadata: {name: goal}
spec:
  teamRef: {name: sdr}
  metric: Revenue
  period: {quarter: 2027-Q1}
  target: {value: "30000"}
`

// admissionCases is the table of objects the API server must refuse, shared with `leadctl validate`'s
// parity test (cmd/leadctl), which proves it refuses the same objects offline with the same messages.
const admissionCases = "testdata/admission.yaml"

// admissionTable is testdata/admission.yaml: valid bases, and cases that each change one base once.
type admissionTable struct {
	Bases map[string]string `json:"bases"`
	Cases []struct {
		Name string `json:"name"`
		Base string `json:"base"`
		Old  string `json:"old"`
		New  string `json:"new"`
		Want string `json:"want"` // substring of the API server's message
	} `json:"cases"`
}

func readAdmissionTable(t *testing.T) admissionTable {
	t.Helper()
	raw, err := os.ReadFile(admissionCases)
	if err != nil {
		t.Fatal(err)
	}
	var table admissionTable
	if err := yaml.UnmarshalStrict(raw, &table); err != nil {
		t.Fatalf("%s: %v", admissionCases, err)
	}
	if len(table.Cases) < 20 || len(table.Bases) != 3 {
		t.Fatalf("%s: %d cases and %d bases; the table is broken", admissionCases, len(table.Cases), len(table.Bases))
	}
	return table
}

// TestAdmissionRefusesInvalidObjects checks that what the API server can check, it refuses at
// admission with a message a person understands.
func TestAdmissionRefusesInvalidObjects(t *testing.T) {
	ns := newNamespace(t)
	table := readAdmissionTable(t)
	for _, tc := range table.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			base, ok := table.Bases[tc.Base]
			if !ok || !strings.Contains(base, tc.Old) {
				t.Fatalf("base %q does not contain %q", tc.Base, tc.Old)
			}
			err := create(t, ns, strings.Replace(base, tc.Old, tc.New, 1))
			if err == nil {
				t.Fatalf("the API server accepted an invalid object; want a refusal containing %q", tc.Want)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid (422) refusal, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.Want) {
				t.Fatalf("refusal message\n  %v\ndoes not contain\n  %s", err, tc.Want)
			}
		})
	}

	// The valid bases the table mutates are themselves accepted, so each refusal above is caused by
	// the one mutation the case names; they are the valid objects the other tests build on.
	for name, doc := range map[string]string{"team": validTeam, "policy": validPolicy, "goal": validGoal} {
		if table.Bases[name] != strings.TrimPrefix(doc, "\n") {
			t.Errorf("%s: the %s base differs from valid%s%s", admissionCases, name, strings.ToUpper(name[:1]), name[1:])
		}
		mustCreate(t, ns, table.Bases[name])
	}
}

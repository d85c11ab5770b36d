package controllers

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

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

// TestAdmissionRefusesInvalidObjects checks that what the API server can check, it refuses at
// admission with a message a person understands.
func TestAdmissionRefusesInvalidObjects(t *testing.T) {
	ns := newNamespace(t)
	cases := []struct {
		name string
		doc  string
		want string // substring of the API server's message
	}{
		{"team: unknown function", strings.Replace(validTeam, "function: SDR", "function: Finance", 1),
			`spec.function: Unsupported value: "Finance"`},
		{"team: zero capacity", strings.Replace(validTeam, "capacity: 10", "capacity: 0", 1),
			"spec.members[0].capacity: Invalid value: 0: spec.members[0].capacity in body should be greater than or equal to 1"},
		{"team: duplicate member names", strings.Replace(validTeam, "[{name: sdr-01, capacity: 10}]", "[{name: sdr-01, capacity: 10}, {name: sdr-01, capacity: 5}]", 1),
			`spec.members[1]: Duplicate value: {"name":"sdr-01"}`},
		{"team: working hours end before start", strings.Replace(validTeam, `start: "09:00", end: "17:00"`, `start: "17:00", end: "09:00"`, 1),
			"working hours must start before they end"},
		{"team: time of day not HH:MM", strings.Replace(validTeam, `start: "09:00"`, `start: "9am"`, 1),
			`spec.workingHours[0].start: Invalid value: "9am": spec.workingHours[0].start in body should match`},
		{"team: out of office ends before it starts", strings.Replace(validTeam, "capacity: 10}", `capacity: 10, outOfOffice: [{start: "2027-01-10T00:00:00Z", end: "2027-01-03T00:00:00Z"}]}`, 1),
			"an out-of-office period must start before it ends"},
		{"team: unknown weekday", strings.Replace(validTeam, "days: [Monday]", "days: [Funday]", 1),
			`spec.workingHours[0].days[0]: Unsupported value: "Funday"`},
		{"policy: no routing rules", strings.Replace(validPolicy, "rules: [{name: all, teamRef: {name: sdr}, strategy: LeastLoaded}]", "rules: []", 1),
			"spec.rules in body should have at least 1 items"},
		{"policy: duplicate rule names", strings.Replace(validPolicy, "rules: [{name: all, teamRef: {name: sdr}, strategy: LeastLoaded}]", "rules: [{name: all, teamRef: {name: sdr}}, {name: all, teamRef: {name: sales}}]", 1),
			`spec.rules[1]: Duplicate value: {"name":"all"}`},
		{"policy: warning not before the deadline", strings.Replace(validPolicy, "warnBefore: 15m", "warnBefore: 2h", 1),
			"warnBefore must be shorter than within: the warning has to come before the deadline"},
		{"policy: zero SLA", strings.Replace(validPolicy, "within: 1h, warnBefore: 15m", "within: 0s", 1),
			"within must be longer than zero"},
		{"policy: duration in words", strings.Replace(validPolicy, "within: 1h", "within: one hour", 1),
			`spec.sla.firstTouch.within: Invalid value: "one hour": spec.sla.firstTouch.within in body should match`},
		{"policy: unknown strategy", strings.Replace(validPolicy, "strategy: LeastLoaded", "strategy: Random", 1),
			`spec.rules[0].strategy: Unsupported value: "Random"`},
		{"policy: SLA without any deadline", strings.Replace(validPolicy, "firstTouch: {within: 1h, warnBefore: 15m}", "onBreach: {reassign: true}", 1),
			"an SLA needs firstTouch, acceptance or both"},
		{"policy: breach condition window over a week", strings.Replace(validPolicy, "firstTouch: {within: 1h, warnBefore: 15m}", "firstTouch: {within: 1h, warnBefore: 15m}\n    breachConditionWindow: 169h", 1),
			"breachConditionWindow must be at most 168h"},
		{"policy: too many reassignments", strings.Replace(validPolicy, "firstTouch: {within: 1h, warnBefore: 15m}", "firstTouch: {within: 1h}\n    onBreach: {reassign: true, maxReassignments: 50}", 1),
			"spec.sla.onBreach.maxReassignments in body should be less than or equal to 10"},
		{"goal: two period forms", strings.Replace(validGoal, "period: {quarter: 2027-Q1}", "period: {quarter: 2027-Q1, month: 2027-01}", 1),
			"set exactly one of period.quarter, period.month or period.range"},
		{"goal: no period form", strings.Replace(validGoal, "period: {quarter: 2027-Q1}", "period: {}", 1),
			"set exactly one of period.quarter, period.month or period.range"},
		{"goal: two target forms", strings.Replace(validGoal, `target: {value: "30000"}`, `target: {value: "30000", growthPercent: 10}`, 1),
			"set exactly one of target.value, target.duration or target.growthPercent"},
		{"goal: duration target on a count metric", strings.Replace(validGoal, `target: {value: "30000"}`, `target: {duration: 30m}`, 1),
			"TimeToFirstTouch takes a target.duration (or growthPercent); every other metric takes a target.value (or growthPercent)"},
		{"goal: value target on time to first touch", strings.Replace(validGoal, "metric: Revenue", "metric: TimeToFirstTouch", 1),
			"TimeToFirstTouch takes a target.duration"},
		{"goal: quarter 5", strings.Replace(validGoal, "quarter: 2027-Q1", "quarter: 2027-Q5", 1),
			`spec.period.quarter: Invalid value: "2027-Q5": spec.period.quarter in body should match`},
		{"goal: range backwards", strings.Replace(validGoal, "period: {quarter: 2027-Q1}", "period: {range: {start: 2027-03-01, end: 2027-01-01}}", 1),
			"range.start must not be after range.end"},
		{"goal: unknown metric", strings.Replace(validGoal, "metric: Revenue", "metric: Happiness", 1),
			`spec.metric: Unsupported value: "Happiness"`},
		{"goal: missing team reference", strings.Replace(validGoal, "teamRef: {name: sdr}", "teamRef: {name: \"\"}", 1),
			"spec.teamRef.name in body should be at least 1 chars long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := create(t, ns, tc.doc)
			if err == nil {
				t.Fatalf("the API server accepted an invalid object; want a refusal containing %q", tc.want)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid (422) refusal, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("refusal message\n  %v\ndoes not contain\n  %s", err, tc.want)
			}
		})
	}

	// The valid bases the table mutates are themselves accepted, so each refusal above is caused by
	// the one mutation the case names.
	for _, doc := range []string{validTeam, validPolicy, validGoal} {
		mustCreate(t, ns, doc)
	}
}

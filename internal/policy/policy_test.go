package policy

import (
	"strings"
	"testing"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

func TestCompileReportsTheFieldPath(t *testing.T) {
	base := func() *leadopsv1.LeadPolicy {
		p := &leadopsv1.LeadPolicy{}
		p.Namespace, p.Name, p.Generation = "ns", "inbound", 2
		p.Spec.Rules = []leadopsv1.RoutingRule{{Name: "a", TeamRef: leadopsv1.TeamReference{Name: "sdr"}}}
		return p
	}
	cases := []struct {
		name   string
		mutate func(*leadopsv1.LeadPolicy)
		reason string
		prefix string
	}{
		{"valid", func(*leadopsv1.LeadPolicy) {}, "", ""},
		{"selector", func(p *leadopsv1.LeadPolicy) { p.Spec.Selector = "lead.scor > 1" }, leadopsv1.ReasonInvalidExpression, "spec.selector: "},
		{"gate", func(p *leadopsv1.LeadPolicy) {
			p.Spec.Qualification = &leadopsv1.QualificationGate{Expression: "lead.score"}
		}, leadopsv1.ReasonInvalidExpression, "spec.qualification.expression: expression must evaluate to a bool"},
		{"second rule", func(p *leadopsv1.LeadPolicy) {
			p.Spec.Rules = append(p.Spec.Rules, leadopsv1.RoutingRule{Name: "b", When: "lists.range(1000).exists(i, lists.range(1000).exists(j, i == j))"})
		}, leadopsv1.ReasonInvalidExpression, "spec.rules[1].when: the expression may cost"},
		{"SLA duration", func(p *leadopsv1.LeadPolicy) {
			p.Spec.SLA = &leadopsv1.HandoffSLA{FirstTouch: &leadopsv1.SLATarget{Within: "soon"}}
		}, leadopsv1.ReasonInvalidSpec, "spec.sla.firstTouch.within: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.mutate(p)
			c, err := Compile(p)
			if tc.reason == "" {
				if err != nil || c.Generation != 2 || c.RouterPolicy(p).Key() != "ns/inbound" {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			if err == nil || err.Reason != tc.reason || !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Fatalf("error %v (reason %v), want %s %q…", err, err, tc.reason, tc.prefix)
			}
		})
	}
}

func TestParseTeamAndSnapshot(t *testing.T) {
	spec := &leadopsv1.TeamSpec{Timezone: "America/New_York", Manager: "lead",
		WorkingHours: []leadopsv1.WorkingHours{{Days: []leadopsv1.Weekday{"Monday"}, Start: "09:00", End: "17:00"}},
		Members: []leadopsv1.TeamMember{{Name: "a", Capacity: 3}, {Name: "b", Capacity: 3,
			OutOfOffice: []leadopsv1.OutOfOffice{{Start: "2027-02-01T00:00:00Z", End: "2027-02-02T00:00:00Z"}}}}}
	team, err := ParseTeam(spec)
	if err != nil {
		t.Fatal(err)
	}
	snap := team.Snapshot(time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC))
	if len(snap.Members) != 2 || !snap.Members[0].Available || snap.Members[1].Available || snap.Manager != "lead" || snap.Calendar == nil {
		t.Fatalf("snapshot %+v", snap)
	}
	spec.Timezone = "Mars/Olympus"
	if _, err := ParseTeam(spec); err == nil || err.Reason != leadopsv1.ReasonInvalidTimezone || !strings.HasPrefix(err.Error(), "spec.timezone: ") {
		t.Fatalf("bad timezone: %v", err)
	}
}

package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestListByNameAndBreach: teams and policies are stored as namespace/name, so a bare name is qualified
// with ?namespace= (default "default") instead of silently matching nothing; breached=true lists the
// leads with a recorded SLA breach.
func TestListByNameAndBreach(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		put := func(ext, team, policy string, breaches int) {
			t.Helper()
			l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext}, "seed")
			if err != nil {
				t.Fatal(err)
			}
			if l, err = st.Apply(ctx, l.ID, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"}); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			l.Stage, l.Owner, l.Team, l.Policy, l.RoutedAt, l.BreachCount = lead.StageRouted, "alice", team, policy, &now, breaches
			if breaches > 0 {
				l.LastBreachAt = &now
			}
			if _, err := st.Update(ctx, l, store.AuditEvent{Actor: "controller", Type: "routed", At: now}); err != nil {
				t.Fatal(err)
			}
		}
		put("D-1", "default/sdr", "default/inbound", 0)
		put("D-2", "default/sdr", "default/inbound", 1)
		put("S-1", "sales/sdr", "sales/inbound", 2)
		put("S-2", "sales/ae", "sales/inbound", 0)

		for _, tc := range []struct {
			name, query string
			status      int
			want        []string // external ids, or the field of the first error
		}{
			{"bare team, default namespace", "team=sdr", 200, []string{"D-1", "D-2"}},
			{"bare team with a namespace", "team=sdr&namespace=sales", 200, []string{"S-1"}},
			{"qualified team", "team=sales/sdr", 200, []string{"S-1"}},
			{"qualified team, same namespace", "team=sales/sdr&namespace=sales", 200, []string{"S-1"}},
			{"bare policy with a namespace", "policy=inbound&namespace=sales", 200, []string{"S-1", "S-2"}},
			{"qualified policy", "policy=default/inbound", 200, []string{"D-1", "D-2"}},
			{"breached", "breached=true", 200, []string{"D-2", "S-1"}},
			{"breached of a policy", "policy=sales/inbound&breached=true", 200, []string{"S-1"}},
			{"breached false filters nothing", "policy=inbound&breached=false", 200, []string{"D-1", "D-2"}},
			{"namespaces disagree", "team=sales/sdr&namespace=default", 400, []string{"team"}},
			{"namespace alone", "namespace=sales", 400, []string{"namespace"}},
			{"malformed team", "team=sales/", 400, []string{"team"}},
			{"breached not a boolean", "breached=yes", 400, []string{"breached"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.do(t, "GET", "/v1/leads?"+tc.query, "", "Bearer "+tokenAlice, nil)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if tc.status != 200 {
					if len(r.err.Fields) == 0 || r.err.Fields[0].Path != tc.want[0] {
						t.Fatalf("fields %+v, want the first on %q", r.err.Fields, tc.want[0])
					}
					return
				}
				var page store.Page
				if err := json.Unmarshal(r.body, &page); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, l := range page.Leads {
					got = append(got, l.ExternalID)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("leads %v, want %v", got, tc.want)
				}
			})
		}
		// The Go client sends breached too (leadctl list --breached uses it).
		page, err := ts.alice.ListLeads(ctx, store.ListFilter{Policy: "sales/inbound", Breached: true})
		if err != nil || len(page.Leads) != 1 || page.Leads[0].ExternalID != "S-1" {
			t.Fatalf("client breached: %v %+v", err, page)
		}
		if strings.Contains(ts.logs.String(), "sales/sdr") {
			t.Error("query values reached the log")
		}
	})
}

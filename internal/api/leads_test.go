package api_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func TestUpsertGetAndAudit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		in := store.LeadInput{ExternalID: "CRM-1", Email: "ann@example.com", Name: "Ann Example", Company: "Acme",
			Domain: "Acme.com", Employees: 250, Source: "webinar", Score: 72, Attributes: map[string]any{"plan": "pro"}}

		l, created, err := ts.hubspot.UpsertLead(ctx, in)
		if err != nil || !created {
			t.Fatalf("first upsert: created=%v err=%v", created, err)
		}
		if l.ID == "" || l.Stage != lead.StageNew || l.Domain != "acme.com" || l.Email != in.Email {
			t.Fatalf("stored lead: %+v", l)
		}
		// Same input again: 200, same version (idempotent).
		again, created, err := ts.hubspot.UpsertLead(ctx, in)
		if err != nil || created || again.ID != l.ID || again.Version != l.Version {
			t.Fatalf("repeat upsert: created=%v err=%v lead=%+v", created, err, again)
		}
		// A change updates in place.
		in.Score = 90
		changed, created, err := ts.hubspot.UpsertLead(ctx, in)
		if err != nil || created || changed.ID != l.ID || changed.Score != 90 || changed.Version <= l.Version {
			t.Fatalf("changing upsert: created=%v err=%v lead=%+v", created, err, changed)
		}

		got, err := ts.alice.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Lead.Score != 90 || len(got.Audit) < 2 {
			t.Fatalf("get: %+v with %d audit events", got.Lead, len(got.Audit))
		}
		if got.Audit[0].Type != store.EventCreated || got.Audit[0].Actor != "hubspot" {
			t.Fatalf("first audit event %+v, want created by hubspot (the token's name, never the token)", got.Audit[0])
		}
		byExt, err := ts.alice.GetLeadByExternalID(ctx, "CRM-1")
		if err != nil || byExt.Lead.ID != l.ID {
			t.Fatalf("get by external id: %v %+v", err, byExt)
		}
		if _, err := ts.alice.GetLead(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown lead: %v", err)
		}
		// Personal data went through the API but not into the log.
		logs := ts.logs.String()
		if !strings.Contains(logs, `"route"="POST /v1/leads"`) {
			t.Fatalf("expected access log lines, got:\n%s", logs)
		}
		for _, pii := range []string{"ann@example.com", "Ann Example", tokenHubspot} {
			if strings.Contains(logs, pii) {
				t.Errorf("the log contains %q", pii)
			}
		}
	})
}

func TestBatchUpsert(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, func(o *api.Options) { o.MaxBodyBytes = 4 << 20 })
		ctx := context.Background()
		in := make([]store.LeadInput, api.MaxBatchSize)
		for i := range in {
			in[i] = store.LeadInput{ExternalID: "B-" + strconv.Itoa(i), Score: int64(i % 100)}
		}
		ls, err := ts.hubspot.UpsertLeads(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != len(in) || ls[0].ExternalID != in[0].ExternalID || ls[999].ExternalID != in[999].ExternalID {
			t.Fatalf("batch returned %d leads", len(ls))
		}
		// A repeat is idempotent and stores nothing new.
		before := snapshot(t, st)
		if _, err := ts.hubspot.UpsertLeads(ctx, in); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, st); after != before {
			t.Fatal("repeating a batch changed the store")
		}
	})
}

func TestActivitiesThroughTheLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		l, _, err := ts.hubspot.UpsertLead(ctx, store.LeadInput{ExternalID: "L-1", Company: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		if l, err = ts.hubspot.Apply(ctx, l.ID, api.ActivityRequest{Kind: store.ActivityQualify}); err != nil || l.Stage != lead.StageQualified {
			t.Fatalf("qualify: %v %+v", err, l)
		}
		routeLead(t, st, l.ID, "alice", "default/emea")
		steps := []struct {
			req  api.ActivityRequest
			want lead.Stage
		}{
			{api.ActivityRequest{Kind: store.ActivityTouch}, lead.StageTouched},
			{api.ActivityRequest{Kind: store.ActivityAccept}, lead.StageAccepted},
			{api.ActivityRequest{Kind: store.ActivityWin, Amount: 30000}, lead.StageWon},
		}
		for _, s := range steps {
			got, err := ts.alice.Apply(ctx, l.ID, s.req)
			if err != nil {
				t.Fatalf("%s: %v", s.req.Kind, err)
			}
			if got.Stage != s.want {
				t.Fatalf("%s: stage %s, want %s", s.req.Kind, got.Stage, s.want)
			}
		}
		full, err := ts.alice.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.Lead.Amount != 30000 || full.Lead.TouchedAt == nil || !full.Lead.TouchedAt.Equal(testNow) {
			t.Fatalf("won lead: %+v", full.Lead)
		}
		var types []string
		for _, ev := range full.Audit {
			types = append(types, ev.Type+"/"+ev.Actor)
		}
		want := "created/hubspot qualified/hubspot routed/router touched/alice accepted/alice won/alice"
		if got := strings.Join(types, " "); got != want {
			t.Fatalf("audit trail %q, want %q", got, want)
		}

		// Reject carries the reason back to marketing.
		r, _, err := ts.hubspot.UpsertLead(ctx, store.LeadInput{ExternalID: "L-2"})
		if err != nil {
			t.Fatal(err)
		}
		routeLead(t, st, r.ID, "alice", "default/emea")
		if _, err := ts.alice.Apply(ctx, r.ID, api.ActivityRequest{Kind: store.ActivityTouch}); err != nil {
			t.Fatal(err)
		}
		rej, err := ts.alice.Apply(ctx, r.ID, api.ActivityRequest{Kind: store.ActivityReject, Reason: "no budget this year"})
		if err != nil || rej.Stage != lead.StageRejected || rej.Reason != "no budget this year" || rej.Owner != "" {
			t.Fatalf("reject: %v %+v", err, rej)
		}
	})
}

func TestListQueues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		var aliceIDs []string
		for i := range 7 {
			l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "Q-" + strconv.Itoa(i)}, "seed")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case i%2 == 0:
				routeLead(t, st, l.ID, "alice", "default/emea")
				aliceIDs = append(aliceIDs, l.ID)
			case i == 3:
				routeLead(t, st, l.ID, "bob", "default/emea")
			}
		}
		// Alice's queue, two at a time: every lead once, in order, then no cursor.
		var got []string
		f := store.ListFilter{Owner: "alice", Stages: []lead.Stage{lead.StageRouted, lead.StageTouched}, Limit: 2}
		for range 10 {
			page, err := ts.alice.ListLeads(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range page.Leads {
				got = append(got, l.ID)
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		if strings.Join(got, ",") != strings.Join(aliceIDs, ",") {
			t.Fatalf("alice's queue %v, want %v", got, aliceIDs)
		}
		for _, tc := range []struct {
			f    store.ListFilter
			want int
		}{
			{store.ListFilter{Team: "emea"}, 5},
			{store.ListFilter{Stages: []lead.Stage{lead.StageNew}}, 2},
			{store.ListFilter{Owner: "bob", Policy: "inbound"}, 1},
			{store.ListFilter{Owner: "nobody"}, 0},
			{store.ListFilter{}, 7},
		} {
			page, err := ts.alice.ListLeads(ctx, tc.f)
			if err != nil || len(page.Leads) != tc.want {
				t.Errorf("filter %+v: %d leads (err %v), want %d", tc.f, len(page.Leads), err, tc.want)
			}
		}
		// The raw body of an empty page is an empty list, not null.
		if r := ts.do(t, "GET", "/v1/leads?owner=nobody", "", "Bearer "+tokenAlice, nil); r.status != 200 || !strings.Contains(string(r.body), `"leads": []`) {
			t.Fatalf("empty page: %d %s", r.status, r.body)
		}
	})
}

func TestAccountsAndHealth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		ts := startServer(t, st, nil)
		ctx := context.Background()
		a, err := ts.hubspot.UpsertAccount(ctx, store.Account{Domain: "Acme.com", Name: "Acme", Owner: "bob"})
		if err != nil || a.Domain != "acme.com" || a.Owner != "bob" {
			t.Fatalf("upsert account: %v %+v", err, a)
		}
		if a, err = ts.hubspot.UpsertAccount(ctx, store.Account{Domain: "acme.com", Owner: "carol"}); err != nil || a.Owner != "carol" {
			t.Fatalf("re-own account: %v %+v", err, a)
		}
		stored, err := st.GetAccount(ctx, "acme.com")
		if err != nil || stored.Owner != "carol" {
			t.Fatalf("stored account: %v %+v", err, stored)
		}
		if r := ts.do(t, "GET", "/v1/accounts/nobody.io", "", "Bearer "+tokenHubspot, nil); r.status != http.StatusNotFound {
			t.Fatalf("unknown account: %d", r.status)
		}
		// /healthz needs no token.
		if r := ts.do(t, "GET", "/healthz", "", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
			t.Fatalf("healthz: %d %s", r.status, r.body)
		}
		// A closed store makes it fail, without a token still.
		st.Close()
		if r := ts.do(t, "GET", "/healthz", "", "", nil); r.status != http.StatusServiceUnavailable {
			t.Fatalf("healthz on a closed store: %d %s", r.status, r.body)
		}
	})
}

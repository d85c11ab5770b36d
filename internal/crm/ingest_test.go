package crm_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

var now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func openStore(t testing.TB) store.Backend {
	t.Helper()
	st, err := storeopen.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "leads.db"), store.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func hubspotConn() crm.Connection {
	return crm.Connection{Name: "hubspot-main", CRM: crm.HubSpot, CredentialsDir: "/unused",
		Inbound: &crm.InboundConfig{PublicURL: "https://leadops.example.com/hook",
			FieldMapping: map[string]string{"email": "email", "firstname": "firstName", "lastname": "lastName",
				"company": "company", "country": "country", "numberofemployees": "employees", "lifecyclestage": "attributes.lifecycleStage"},
			ActivityMapping: []crm.ActivityRule{
				{Field: "hs_lead_status", Value: "CONNECTED", Activity: lead.ActivityTouch},
				{Field: "hs_lead_status", Value: "OPEN_DEAL", Activity: lead.ActivityAccept},
				{Field: "hs_lead_status", Value: "UNQUALIFIED", Activity: lead.ActivityReject},
			}}}
}

func contact(id, email, status string, modified time.Time) crm.Record {
	return crm.Record{ID: id, ModifiedAt: modified, Properties: map[string]string{
		"email": email, "firstname": "Ada", "lastname": "Lovelace", "company": "Analytical Engines",
		"country": "United Kingdom", "numberofemployees": "250", "lifecyclestage": "lead", "hs_lead_status": status}}
}

func TestMapRecordThroughTheOneNormalizer(t *testing.T) {
	st, ctx := openStore(t), context.Background()
	conn := hubspotConn()
	res, err := crm.Ingest(ctx, st, conn, []crm.Record{contact("101", " Ada@Example.COM ", "NEW", now)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 1 {
		t.Fatalf("result %+v", res)
	}
	l, err := st.GetLeadByExternalID(ctx, "hubspot:contact:101")
	if err != nil {
		t.Fatal(err)
	}
	// Normalized exactly as POST /v1/leads would: email lower-cased, domain derived, country ISO code.
	if l.Email != "ada@example.com" || l.Domain != "example.com" || l.Country != "GB" || l.Name != "Ada Lovelace" ||
		l.Employees != 250 || l.Attributes["lifecycleStage"] != "lead" || l.Original["email"] != "Ada@Example.COM" {
		t.Errorf("lead %+v", l)
	}
}

func TestIngestIdempotentAndOrdered(t *testing.T) {
	st, ctx := openStore(t), context.Background()
	conn := hubspotConn()
	t1, t2 := now.Add(-10*time.Minute), now.Add(-5*time.Minute)
	older := contact("101", "ada@example.com", "NEW", t1)
	newer := contact("101", "ada@example.com", "NEW", t2)
	newer.Properties["company"] = "Analytical Engines Ltd"

	steps := []struct {
		name string
		recs []crm.Record
		want crm.Result
	}{
		{"first delivery", []crm.Record{older}, crm.Result{Records: 1, Stored: 1}},
		{"duplicate delivery", []crm.Record{older}, crm.Result{Records: 1, Unchanged: 1}},
		{"newer", []crm.Record{newer}, crm.Result{Records: 1, Stored: 1}},
		{"older after newer", []crm.Record{older}, crm.Result{Records: 1, Stale: 1}},
		{"both in one batch, older last", []crm.Record{newer, older}, crm.Result{Records: 1, Unchanged: 1}},
		{"echo", []crm.Record{{ID: "101", Echo: true}}, crm.Result{Records: 1, Echoes: 1}},
	}
	for _, s := range steps {
		res, err := crm.Ingest(ctx, st, conn, s.recs, now)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if res.Records != s.want.Records || res.Stored != s.want.Stored || res.Unchanged != s.want.Unchanged ||
			res.Stale != s.want.Stale || res.Echoes != s.want.Echoes {
			t.Errorf("%s: %+v, want %+v", s.name, res, s.want)
		}
	}
	l, err := st.GetLeadByExternalID(ctx, "hubspot:contact:101")
	if err != nil {
		t.Fatal(err)
	}
	if l.Company != "Analytical Engines Ltd" || l.Attributes[crm.ModifiedAttribute] != t2.Format(time.RFC3339Nano) {
		t.Errorf("lead holds company %q modified %v, want the newer delivery's", l.Company, l.Attributes[crm.ModifiedAttribute])
	}
	audit, err := st.Audit(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 { // created, updated
		t.Errorf("%d audit events, want 2 (created, updated): %+v", len(audit), audit)
	}
}

func TestIngestActivities(t *testing.T) {
	st, ctx := openStore(t), context.Background()
	conn := hubspotConn()
	if _, err := crm.Ingest(ctx, st, conn, []crm.Record{contact("101", "ada@example.com", "NEW", now.Add(-time.Hour))}, now); err != nil {
		t.Fatal(err)
	}
	l, err := st.GetLeadByExternalID(ctx, "hubspot:contact:101")
	if err != nil {
		t.Fatal(err)
	}
	// Accepting a lead nobody was routed to is illegal: counted, acknowledged, nothing recorded.
	res, err := crm.Ingest(ctx, st, conn, []crm.Record{contact("101", "ada@example.com", "OPEN_DEAL", now.Add(-50*time.Minute))}, now)
	if err != nil || res.Refused != 1 || res.Activities != 0 {
		t.Fatalf("accept before routing: %+v, %v", res, err)
	}
	route(t, st, l.ID, "alice")

	for i, s := range []struct {
		status string
		want   lead.Stage
		res    crm.Result
	}{
		{"CONNECTED", lead.StageTouched, crm.Result{Activities: 1}},
		{"CONNECTED", lead.StageTouched, crm.Result{Repeated: 1}}, // redelivered: no second touch
		{"OPEN_DEAL", lead.StageAccepted, crm.Result{Activities: 1}},
	} {
		res, err := crm.Ingest(ctx, st, conn, []crm.Record{contact("101", "ada@example.com", s.status, now.Add(time.Duration(i-40)*time.Minute))}, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Activities != s.res.Activities || res.Repeated != s.res.Repeated || res.Refused != 0 {
			t.Errorf("%s: %+v", s.status, res)
		}
		got, err := st.GetLead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != s.want {
			t.Errorf("%s: stage %s, want %s", s.status, got.Stage, s.want)
		}
	}
	audit, err := st.Audit(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var touches, accepts int
	for _, e := range audit {
		switch e.Type {
		case lead.EventTouched:
			touches++
			if e.Actor != "alice" || e.Reason != "crm:hs_lead_status=CONNECTED" {
				t.Errorf("touch by %q reason %q, want the owner and the mapping", e.Actor, e.Reason)
			}
		case lead.EventAccepted:
			accepts++
		}
	}
	if touches != 1 || accepts != 1 {
		t.Errorf("%d touches, %d accepts; want 1 and 1", touches, accepts)
	}
}

func TestIngestRejectAndInvalid(t *testing.T) {
	st, ctx := openStore(t), context.Background()
	conn := hubspotConn()
	if _, err := crm.Ingest(ctx, st, conn, []crm.Record{contact("101", "ada@example.com", "NEW", now.Add(-time.Hour))}, now); err != nil {
		t.Fatal(err)
	}
	l, _ := st.GetLeadByExternalID(ctx, "hubspot:contact:101")
	route(t, st, l.ID, "alice")
	bad := contact("102", "not an email", "NEW", now)
	recs := []crm.Record{contact("101", "ada@example.com", "CONNECTED", now.Add(-30*time.Minute)), bad}
	res, err := crm.Ingest(ctx, st, conn, recs, now)
	if err != nil || res.Invalid != 1 || len(res.InvalidPaths) != 1 || res.InvalidPaths[0] != "records[1].email" || res.Activities != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	res, err = crm.Ingest(ctx, st, conn, []crm.Record{contact("101", "ada@example.com", "UNQUALIFIED", now.Add(-20*time.Minute))}, now)
	if err != nil || res.Activities != 1 {
		t.Fatalf("reject: %+v, %v", res, err)
	}
	got, _ := st.GetLead(ctx, l.ID)
	if got.Stage != lead.StageRejected || got.Reason != "crm:hs_lead_status=UNQUALIFIED" {
		t.Errorf("stage %s reason %q", got.Stage, got.Reason)
	}
	if _, err := st.GetLeadByExternalID(ctx, "hubspot:contact:102"); err == nil {
		t.Error("the invalid record was stored")
	}
}

// route moves a lead to routed with an owner, as the controller's router does.
func route(t *testing.T, st store.Backend, id, owner string) {
	t.Helper()
	ctx := context.Background()
	l, err := st.Apply(ctx, id, store.Activity{Kind: store.ActivityQualify, Actor: "marketing"})
	if err != nil {
		t.Fatal(err)
	}
	l.Stage, l.Owner, l.Team, l.Policy = lead.StageRouted, owner, "sales/emea", "sales/inbound"
	at := now
	l.RoutedAt = &at
	if _, err := st.Update(ctx, l, store.AuditEvent{LeadID: id, At: now, Actor: "router", Type: lead.EventRouted,
		Data: map[string]any{"owner": owner}}); err != nil {
		t.Fatal(err)
	}
}

func TestEchoCache(t *testing.T) {
	clock := now
	c := crm.NewEchoCache(time.Hour, 2, func() time.Time { return clock })
	c.Wrote("hubspot:contact:1", "77001")
	if !c.IsEcho("hubspot:contact:1", "hubspot_owner_id", "77001") || c.IsEcho("hubspot:contact:1", "hubspot_owner_id", "77002") {
		t.Error("echo of the written owner")
	}
	c.Wrote("hubspot:contact:2", "1")
	c.Wrote("hubspot:contact:3", "1") // evicts 1, the least recently written
	if c.IsEcho("hubspot:contact:1", "hubspot_owner_id", "77001") {
		t.Error("capacity not enforced")
	}
	clock = clock.Add(2 * time.Hour)
	if c.IsEcho("hubspot:contact:3", "hubspot_owner_id", "1") {
		t.Error("TTL not enforced")
	}
}

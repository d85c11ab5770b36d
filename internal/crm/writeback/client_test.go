package writeback

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadops/leadops/internal/crm"
)

func TestSalesforceCRMUserEmailsAreLookedUpOnce(t *testing.T) {
	sf := newFakeSalesforce(t)
	feed := newMemFeed()
	feed.route("l1", "salesforce:lead:00Q000000000001", "ana", "sales/t", "sales/p", t0)
	feed.route("l2", "salesforce:lead:00Q000000000002", "ana", "sales/t", "sales/p", t0)
	feed.route("l3", "salesforce:lead:00Q000000000003", "gone", "sales/t", "sales/p", t0)
	reg := NewRegistry()
	w, _ := newWorker(t, connection(t, crm.Salesforce, sf.srv.URL, 100), feed,
		roster(map[string]string{"sales/t/ana": "Rep.Ana@example.com", "sales/t/gone": "left@example.com"}), reg)
	skipped := testutil.ToFloat64(writeBackTotal.WithLabelValues("salesforce-main", "skipped"))
	if err := w.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"00Q000000000001", "00Q000000000002"} {
		if owner, n := sf.written(id); owner != "005000000000AnA" || n != 1 {
			t.Errorf("lead %s: OwnerId %q written %d times, want ana's user 005000000000AnA once", id, owner, n)
		}
	}
	if _, n := sf.written("00Q000000000003"); n != 0 {
		t.Errorf("a lead whose member has no CRM user was written %d times", n)
	}
	if n := sf.count("/services/data/" + salesforceAPIVersion + "/query"); n != 2 {
		t.Errorf("User queries = %d, want 2 (each email once)", n)
	}
	if got := testutil.ToFloat64(writeBackTotal.WithLabelValues("salesforce-main", "skipped")) - skipped; got != 1 {
		t.Errorf("skipped counter grew by %v, want 1", got)
	}
	if h, _ := reg.Health("sales/p"); h.Failed != 1 || h.LastFailure != "NO_CRM_USER" || h.Written != 2 {
		t.Errorf("health = %+v, want 2 written and 1 NO_CRM_USER", h)
	}
}

func TestHubSpotMultiStatusFailsOnlyTheNamedRecords(t *testing.T) {
	hs := newFakeHubSpot(t)
	c := NewCRM(connection(t, crm.HubSpot, hs.srv.URL, 100), ClientOptions{})
	hs.then("/crm/v3/objects/contacts/batch/update", scripted{status: 207, body: fixture(t, "hubspot_batch_207.json")})
	out, err := c.WriteOwners(ctxT(t), []Update{
		{Record: Record{crm.HubSpot, "contact", "1"}, OwnerID: "101"},
		{Record: Record{crm.HubSpot, "contact", "2"}, OwnerID: "101"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || !out[0].OK || out[1].OK || out[1].Code != "OBJECT_NOT_FOUND" {
		t.Errorf("outcomes = %+v, want contact 1 ok and contact 2 OBJECT_NOT_FOUND", out)
	}
}

func TestAPIRequestsAreCountedByCode(t *testing.T) {
	hs := newFakeHubSpot(t)
	conn := connection(t, crm.HubSpot, hs.srv.URL, 100)
	conn.Name = "hubspot-metrics"
	sl := &sleeps{}
	c := NewCRM(conn, ClientOptions{Sleep: sl.sleep})
	hs.then("/crm/v3/objects/contacts/batch/update", scripted{status: 429, header: map[string]string{"Retry-After": "1"}, body: fixture(t, "hubspot_429.json")})
	if _, err := c.WriteOwners(ctxT(t), []Update{{Record: Record{crm.HubSpot, "contact", "1"}, OwnerID: "101"}}); err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]float64{"429": 1, "200": 1} {
		if got := testutil.ToFloat64(apiRequestsTotal.WithLabelValues("hubspot-metrics", code)); got != want {
			t.Errorf("leadops_crm_api_requests_total{code=%q} = %v, want %v", code, got, want)
		}
	}
}

func TestNetworkErrorsDoNotRepeatTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now: every call is refused
	conn := connection(t, crm.Salesforce, "http://"+addr, 100)
	s := NewCRM(conn, ClientOptions{Sleep: (&sleeps{}).sleep, Retries: 1}).(*salesforce)
	s.token, s.instance = "t", "http://"+addr
	_, _, err = s.LookupUser(ctxT(t), "secret.person@example.com")
	if err == nil {
		t.Fatal("a refused connection gave no error")
	}
	if strings.Contains(err.Error(), "secret.person") || strings.Contains(err.Error(), "example.com") {
		t.Errorf("the error repeats the query's email: %v", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) && !strings.Contains(err.Error(), "refused") {
		t.Errorf("the error lost its cause: %v", err)
	}
}

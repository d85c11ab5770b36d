package salesforce

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseOutboundMessage(t *testing.T) {
	n, err := Parse(readFixture(t, "outbound_leads.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if n.OrganizationID != "00D5e000000ORGAEAA" || len(n.Notification) != 2 {
		t.Fatalf("org %q, %d notifications", n.OrganizationID, len(n.Notification))
	}
	so := n.Notification[0].SObject
	if so.Type != "Lead" || so.Fields["Id"] != "00Q5e000001LEAD1AA" || so.Fields["Company"] != "Analytical Engines & Co" ||
		so.Fields["LastModifiedDate"] != "2026-03-02T09:20:00.000Z" || !so.Nil["Phone"] || so.Fields["Phone"] != "" {
		t.Errorf("sObject %+v", so)
	}
	if n, err := Parse(readFixture(t, "outbound_100_leads.xml")); err != nil || len(n.Notification) != 100 {
		t.Errorf("100 notifications: %v", err)
	}
	for _, bad := range []string{"outbound_malformed.xml"} {
		if _, err := Parse(readFixture(t, bad)); !errors.Is(err, crm.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", bad, err)
		}
	}
	for _, bad := range []string{"", "not xml", `<Envelope/>`,
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, crm.ErrMalformed) {
			t.Errorf("Parse(%q): %v, want ErrMalformed", bad, err)
		}
	}
}

func TestAckAndFaultAreSOAP(t *testing.T) {
	var ack struct {
		Body struct {
			Resp struct {
				Ack bool `xml:"Ack"`
			} `xml:"http://soap.sforce.com/2005/09/outbound notificationsResponse"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal([]byte(AckXML), &ack); err != nil || !ack.Body.Resp.Ack {
		t.Errorf("Ack: %v %+v", err, ack)
	}
	var fault struct {
		Body struct {
			Fault struct {
				Code   string `xml:"faultcode"`
				String string `xml:"faultstring"`
			} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(FaultXML("Client", "bad <thing> & more"), &fault); err != nil ||
		fault.Body.Fault.Code != "soapenv:Client" || fault.Body.Fault.String != "bad <thing> & more" {
		t.Errorf("fault: %v %+v", err, fault)
	}
}

func TestSameOrganization(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"00D5e000000ORGAEAA", "00D5e000000ORGA", true},
		{"00D5e000000ORGAEAA", "00D5e000000ORGAEAA", true},
		{"00D5e000000ORGAEAA", "00D5e000000orgaEAA", false}, // 15-character ids are case-sensitive
		{"00D5e000000ORGAEAA", "00D5e000000EVILAAA", false},
		{"", "", false},
	}
	for _, tc := range cases {
		if got := SameOrganization(tc.a, tc.b); got != tc.want {
			t.Errorf("SameOrganization(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

type echoes map[string]string

func (e echoes) Wrote(id, owner string) { e[id] = owner }
func (e echoes) IsEcho(id, _, v string) bool {
	o, ok := e[id]
	return ok && o == v
}

func TestInboundRecords(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, crm.SecretOrganizationID), []byte("00D5e000000ORGA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conn := crm.Connection{Name: "sf-prod", CRM: crm.Salesforce, CredentialsDir: dir,
		Inbound: &crm.InboundConfig{FieldMapping: map[string]string{"Email": "email"}}}
	echo := echoes{"salesforce:lead:00Q5e000001LEAD2AA": "0055e000000OWNRAAA"}
	in := &Inbound{Echoes: echo}
	deliver := func(fixture string) ([]crm.Record, error) {
		return in.Records(context.Background(), conn, crm.Delivery{Method: "POST", Body: readFixture(t, fixture)})
	}
	recs, err := deliver("outbound_leads.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 2, 9, 20, 0, 0, time.UTC)
	if len(recs) != 2 || recs[0].ID != "00Q5e000001LEAD1AA" || !recs[0].ModifiedAt.Equal(want) || recs[0].OwnerEcho || !recs[1].OwnerEcho {
		t.Errorf("records %+v", recs)
	}
	if _, err := deliver("outbound_other_org.xml"); !errors.Is(err, crm.ErrUnauthenticated) {
		t.Errorf("other org: %v", err)
	}
	recs, err = deliver("outbound_call_task.xml")
	if err != nil || len(recs) != 1 || recs[0].ID != "00Q5e000001LEAD1AA" || recs[0].CallID != "00T5e000001CALL1AA" {
		t.Errorf("call: %+v, %v", recs, err)
	}
	if _, err := deliver("outbound_malformed.xml"); !errors.Is(err, crm.ErrMalformed) {
		t.Errorf("malformed: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, crm.SecretOrganizationID)); err != nil {
		t.Fatal(err)
	}
	if _, err := deliver("outbound_leads.xml"); !errors.Is(err, crm.ErrNoSecret) || strings.Contains(err.Error(), "00D") {
		t.Errorf("no organization configured: %v", err)
	}
}

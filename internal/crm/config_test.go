package crm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleConfig = `
connections:
- name: hubspot-main
  crm: HubSpot
  credentialsDir: /etc/leadops/crm/hubspot
  inbound:
    publicURL: https://leadops.example.com/v1/crm/hubspot-main/hubspot/webhook
    fieldMapping: {email: email, firstname: firstName, lastname: lastName, company: company, country: country, phone: phone, lifecyclestage: attributes.lifecycleStage}
    activityMapping:
    - {field: hs_lead_status, value: CONNECTED, activity: touch}
    - {field: hs_lead_status, value: OPEN_DEAL, activity: accept}
    - {field: hs_lead_status, value: UNQUALIFIED, activity: reject}
  writeBack: {enabled: true, ratePerSecond: 10}
- name: sf-prod
  crm: Salesforce
  baseURL: https://example.my.salesforce.com
  credentialsDir: /etc/leadops/crm/salesforce
  inbound:
    fieldMapping: {Email: email, FirstName: firstName, LastName: lastName, Company: company, Country: country}
    activityMapping:
    - {field: Status, value: Working - Contacted, activity: touch}
    - {call: true, activity: touch}
`

func TestParseSample(t *testing.T) {
	c, err := Parse([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	hs, sf := c.Connection("hubspot-main"), c.Connection("sf-prod")
	if hs == nil || sf == nil || c.Connection("nope") != nil {
		t.Fatalf("connections by name: %v %v", hs, sf)
	}
	if got := hs.ExternalID("123"); got != "hubspot:contact:123" {
		t.Errorf("hubspot external id %q", got)
	}
	if got := sf.ExternalID("00Q5e000001abcD"); got != "salesforce:lead:00Q5e000001abcD" {
		t.Errorf("salesforce external id %q", got)
	}
	if hs.OwnerField() != "hubspot_owner_id" || sf.OwnerField() != "OwnerId" {
		t.Errorf("owner fields %q %q", hs.OwnerField(), sf.OwnerField())
	}
	if hs.APIBaseURL() != "https://api.hubapi.com" || sf.APIBaseURL() != "https://example.my.salesforce.com" {
		t.Errorf("base URLs %q %q", hs.APIBaseURL(), sf.APIBaseURL())
	}
}

func TestValidatePaths(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error, path first
	}{
		{"unknown field", `connections: [{name: a, crm: HubSpot, credentialsDir: /x, color: red}]`, []string{"unknown field"}},
		{"bad name and crm", `connections: [{name: A_B, crm: Zoho, credentialsDir: /x}]`,
			[]string{"connections[0].name:", "connections[0].crm: must be HubSpot or Salesforce"}},
		{"duplicate name", `connections: [{name: a, crm: HubSpot, credentialsDir: /x}, {name: a, crm: HubSpot, credentialsDir: /y}]`,
			[]string{"connections[1].name: repeats the name of connections[0]"}},
		{"missing credentials", `connections: [{name: a, crm: HubSpot}]`, []string{"connections[0].credentialsDir: is required"}},
		{"hubspot needs public URL", `connections: [{name: a, crm: HubSpot, credentialsDir: /x, inbound: {fieldMapping: {email: email}}}]`,
			[]string{"connections[0].inbound.publicURL: is required"}},
		{"bad mapping target", `connections: [{name: a, crm: Salesforce, credentialsDir: /x, inbound: {fieldMapping: {Email: mail}}}]`,
			[]string{"connections[0].inbound.fieldMapping.Email: must be one of"}},
		{"two properties one field", `connections: [{name: a, crm: Salesforce, credentialsDir: /x, inbound: {fieldMapping: {Email: email, Email2: email}}}]`,
			[]string{"connections[0].inbound.fieldMapping.Email2: maps to email like fieldMapping.Email"}},
		{"bad activity", `connections: [{name: a, crm: Salesforce, credentialsDir: /x, inbound: {fieldMapping: {Email: email}, activityMapping: [{field: Status, value: X, activity: win}, {activity: touch}]}}]`,
			[]string{"connections[0].inbound.activityMapping[0].activity: must be touch, accept or reject", "connections[0].inbound.activityMapping[1]: needs field and value"}},
		{"salesforce write-back needs base URL", `connections: [{name: a, crm: Salesforce, credentialsDir: /x, writeBack: {enabled: true}}]`,
			[]string{"connections[0].baseURL: is required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadAndSecret(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(creds, SecretClientSecret), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "crm.yaml")
	doc := "connections:\n- name: hs\n  crm: HubSpot\n  credentialsDir: " + creds + "\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conn := c.Connection("hs")
	if s, err := conn.Secret(SecretClientSecret); err != nil || s != "s3cret" {
		t.Errorf("secret %q, %v", s, err)
	}
	if _, err := conn.Secret(SecretToken); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("missing token: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "absent.yaml")); err == nil {
		t.Error("absent file loaded")
	}
}

func TestParseExternalID(t *testing.T) {
	cases := []struct {
		in         string
		kind       Kind
		object, id string
		ok         bool
	}{
		{"hubspot:contact:123", HubSpot, "contact", "123", true},
		{"salesforce:lead:00Q5e000001abcD", Salesforce, "lead", "00Q5e000001abcD", true},
		{"salesforce:lead:", "", "", "", false},
		{"crm-42", "", "", "", false},
		{"zoho:lead:1", "", "", "", false},
	}
	for _, tc := range cases {
		kind, object, id, ok := ParseExternalID(tc.in)
		if kind != tc.kind || object != tc.object || id != tc.id || ok != tc.ok {
			t.Errorf("ParseExternalID(%q) = %q %q %q %v", tc.in, kind, object, id, ok)
		}
		if ok && ExternalID(kind, object, id) != tc.in {
			t.Errorf("round trip of %q", tc.in)
		}
	}
}

// Package crm links leadops to the CRMs sales teams already use (HubSpot, Salesforce): one
// configuration file names each connection, inbound adapters (hubspot/, salesforce/) turn the CRM's
// verified deliveries into lead inputs and activities, and the write-back worker (writeback/) pushes
// the owner leadops chose back to the CRM record. This file holds the configuration shared by both
// directions; see docs/crm.md.
package crm

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
)

// Kind names a CRM product.
type Kind string

const (
	HubSpot    Kind = "HubSpot"
	Salesforce Kind = "Salesforce"
)

// Default objects and owner fields per CRM, used when the configuration leaves them out.
const (
	DefaultHubSpotObject          = "contact"
	DefaultSalesforceObject       = "lead"
	DefaultHubSpotOwnerField      = "hubspot_owner_id"
	DefaultSalesforceOwnerField   = "OwnerId"
	DefaultHubSpotBaseURL         = "https://api.hubapi.com"
	DefaultWriteBackRatePerSecond = 10
)

// Names of the files a connection's credentialsDir may hold (mounted from a Secret; never in the
// configuration file itself).
const (
	SecretToken          = "token"          // HubSpot private-app token (batch read, write-back)
	SecretClientSecret   = "clientSecret"   // HubSpot app client secret (signature v3); Salesforce OAuth client secret
	SecretClientID       = "clientId"       // Salesforce OAuth client id (write-back)
	SecretTokenURL       = "tokenURL"       // Salesforce OAuth token endpoint (optional)
	SecretOrganizationID = "organizationId" // Salesforce org id that outbound messages must carry
)

// Config is the CRM configuration file (--crm-config, env LEADOPS_CRM_CONFIG).
type Config struct {
	Connections []Connection `json:"connections"`
}

// Connection is one CRM account leadops talks to.
type Connection struct {
	// Name is the connection's name in URLs (/v1/crm/{name}/...) and cursor names: [a-z0-9-].
	Name string `json:"name"`
	// CRM is HubSpot or Salesforce.
	CRM Kind `json:"crm"`
	// BaseURL is the CRM's API root: https://api.hubapi.com for HubSpot (the default), the
	// instance URL (https://yourorg.my.salesforce.com) for Salesforce. Tests point it at httptest.
	BaseURL string `json:"baseURL,omitempty"`
	// CredentialsDir holds one file per secret (see the Secret* constants), mounted from a Secret.
	CredentialsDir string `json:"credentialsDir"`
	// Inbound configures leads and activities coming from the CRM; nil turns inbound off.
	Inbound *InboundConfig `json:"inbound,omitempty"`
	// WriteBack configures writing the chosen owner back to the CRM; nil turns it off.
	WriteBack *WriteBackConfig `json:"writeBack,omitempty"`
}

// InboundConfig maps what a CRM delivers to leadops' lead input and activities.
type InboundConfig struct {
	// PublicURL is the full URL the CRM calls, exactly as configured in the CRM: HubSpot signs it
	// (signature v3), so it must match byte for byte what HubSpot sees, scheme and host included.
	PublicURL string `json:"publicURL,omitempty"`
	// Object is the CRM object leads come from: "contact" (HubSpot, default) or "lead"
	// (Salesforce, default). It is the middle part of every externalId, <crm>:<object>:<id>.
	Object string `json:"object,omitempty"`
	// FieldMapping maps a CRM property (HubSpot internal name, Salesforce field API name) to a lead
	// input field: email, name, firstName, lastName (joined into name), company, domain, country,
	// industry, employees, source, campaign, score, phone, or attributes.<key>.
	FieldMapping map[string]string `json:"fieldMapping"`
	// ActivityMapping turns CRM changes (a status value, a logged call) into lead activities.
	ActivityMapping []ActivityRule `json:"activityMapping,omitempty"`
	// LastModifiedField is the Salesforce field carrying the record's last change time
	// (LastModifiedDate, the default, or SystemModstamp); an older notification than the one
	// already applied is acknowledged and skipped. Ignored for HubSpot, which re-reads current values.
	LastModifiedField string `json:"lastModifiedField,omitempty"`
	// AllowSignatureV2 also accepts HubSpot's v2 signature (X-HubSpot-Signature with
	// X-HubSpot-Signature-Version: v2) when a request carries no v3 signature: some workflow
	// "Send a webhook" actions sign that way. v2 has no timestamp, so a captured request can be
	// replayed (harmless here, deliveries are idempotent, but it is off by default).
	AllowSignatureV2 bool `json:"allowSignatureV2,omitempty"`
}

// ActivityRule records one activity when a CRM record shows a value, or when a call is logged.
// Exactly one of Field (with Value) or Call is set.
type ActivityRule struct {
	// Field is a CRM property (hs_lead_status, Status); the rule fires when a delivery changes it
	// to Value.
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
	// Call fires the rule for a logged call on the lead (a Salesforce Task with TaskSubtype Call
	// whose WhoId is the lead).
	Call bool `json:"call,omitempty"`
	// Activity is touch, accept or reject.
	Activity lead.ActivityKind `json:"activity"`
	// Reason is stored with the activity; required for reject by the lead lifecycle, so it
	// defaults to "crm:<field>=<value>".
	Reason string `json:"reason,omitempty"`
}

// WriteBackConfig is read by the write-back worker (internal/crm/writeback).
type WriteBackConfig struct {
	Enabled bool `json:"enabled"`
	// RatePerSecond bounds write calls per connection (token bucket); default 10.
	RatePerSecond float64 `json:"ratePerSecond,omitempty"`
	// OwnerField is the CRM property written: hubspot_owner_id / OwnerId by default. Inbound
	// treats changes of it as possible echoes of leadops' own writes.
	OwnerField string `json:"ownerField,omitempty"`
}

// LeadFields are the lead input fields a FieldMapping may target (besides attributes.<key>).
var LeadFields = []string{"email", "name", "firstName", "lastName", "company", "domain", "country",
	"industry", "employees", "source", "campaign", "score", "phone"}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CRM configuration: %w", err)
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("CRM configuration %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a configuration (YAML or JSON), refusing unknown fields, and validates it.
func Parse(raw []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, fielderr.List{{Message: "not a valid CRM configuration: " + err.Error()}}
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, errs
	}
	return &c, nil
}

// Validate returns every problem with its field path, e.g. "connections[1].inbound.fieldMapping.email".
func (c *Config) Validate() fielderr.List {
	var errs fielderr.List
	seen := map[string]int{}
	for i, conn := range c.Connections {
		p := fmt.Sprintf("connections[%d]", i)
		for _, e := range conn.Validate() {
			errs = append(errs, e.Under(p))
		}
		if j, dup := seen[conn.Name]; dup && conn.Name != "" {
			errs = append(errs, *fielderr.New(p+".name", "repeats the name of connections[%d]", j))
		}
		seen[conn.Name] = i
	}
	return errs
}

// Validate checks one connection; paths are relative to it.
func (c Connection) Validate() fielderr.List {
	var errs fielderr.List
	add := func(path, format string, args ...any) { errs = append(errs, *fielderr.New(path, format, args...)) }
	if !nameRE.MatchString(c.Name) {
		add("name", "must be 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit")
	}
	switch c.CRM {
	case HubSpot, Salesforce:
	case "":
		add("crm", "is required: HubSpot or Salesforce")
	default:
		add("crm", "must be HubSpot or Salesforce")
	}
	if c.BaseURL == "" && c.CRM == Salesforce && c.WriteBack != nil && c.WriteBack.Enabled {
		add("baseURL", "is required for Salesforce write-back: the instance URL")
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("baseURL", "must be an absolute http(s) URL")
		}
	}
	if c.CredentialsDir == "" {
		add("credentialsDir", "is required: the directory of the mounted credentials Secret")
	}
	if in := c.Inbound; in != nil {
		for _, e := range in.validate(c.CRM) {
			errs = append(errs, e.Under("inbound"))
		}
	}
	if wb := c.WriteBack; wb != nil && wb.RatePerSecond < 0 {
		add("writeBack.ratePerSecond", "must not be negative")
	}
	return errs
}

func (in *InboundConfig) validate(kind Kind) fielderr.List {
	var errs fielderr.List
	add := func(path, format string, args ...any) { errs = append(errs, *fielderr.New(path, format, args...)) }
	if in.PublicURL != "" {
		if u, err := url.Parse(in.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("publicURL", "must be an absolute http(s) URL")
		}
	} else if kind == HubSpot {
		add("publicURL", "is required for HubSpot: the URL HubSpot calls, which its signature covers")
	}
	if in.Object != "" && !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(in.Object) {
		add("object", "must be a lower-case object name such as contact or lead")
	}
	if len(in.FieldMapping) == 0 {
		add("fieldMapping", "must map at least one CRM property to a lead field")
	}
	targets := map[string]string{}
	for _, prop := range sortedKeys(in.FieldMapping) {
		to := in.FieldMapping[prop]
		p := "fieldMapping." + prop
		switch {
		case strings.TrimSpace(prop) == "":
			add("fieldMapping", "has an empty CRM property name")
			continue
		case strings.HasPrefix(to, "attributes."):
			if len(to) == len("attributes.") {
				add(p, "must name the attribute key after attributes.")
			}
		case !contains(LeadFields, to):
			add(p, "must be one of %s, or attributes.<key>", strings.Join(LeadFields, ", "))
			continue
		}
		if other, dup := targets[to]; dup {
			add(p, "maps to %s like fieldMapping.%s; each lead field takes one CRM property", to, other)
		}
		targets[to] = prop
	}
	if _, whole := targets["name"]; whole {
		for _, part := range []string{"firstName", "lastName"} {
			if prop, ok := targets[part]; ok {
				add("fieldMapping."+prop, "maps to %s while another property maps to name; use name or firstName/lastName", part)
			}
		}
	}
	for i, r := range in.ActivityMapping {
		p := fmt.Sprintf("activityMapping[%d]", i)
		switch r.Activity {
		case lead.ActivityTouch, lead.ActivityAccept, lead.ActivityReject:
		case "":
			add(p+".activity", "is required: touch, accept or reject")
		default:
			add(p+".activity", "must be touch, accept or reject")
		}
		switch {
		case r.Call && (r.Field != "" || r.Value != ""):
			add(p, "sets call and field; a rule matches either a logged call or a field value")
		case r.Call && kind == HubSpot:
			add(p+".call", "is supported for Salesforce Tasks only; map the HubSpot status property instead")
		case !r.Call && (r.Field == "" || r.Value == ""):
			add(p, "needs field and value (or call: true)")
		}
	}
	return errs
}

// ObjectName is the connection's inbound object with its CRM default.
func (c Connection) ObjectName() string {
	if c.Inbound != nil && c.Inbound.Object != "" {
		return c.Inbound.Object
	}
	if c.CRM == Salesforce {
		return DefaultSalesforceObject
	}
	return DefaultHubSpotObject
}

// OwnerField is the CRM property holding the record's owner, written by write-back.
func (c Connection) OwnerField() string {
	if c.WriteBack != nil && c.WriteBack.OwnerField != "" {
		return c.WriteBack.OwnerField
	}
	if c.CRM == Salesforce {
		return DefaultSalesforceOwnerField
	}
	return DefaultHubSpotOwnerField
}

// APIBaseURL is BaseURL with the CRM's default, without a trailing slash.
func (c Connection) APIBaseURL() string {
	u := c.BaseURL
	if u == "" && c.CRM == HubSpot {
		u = DefaultHubSpotBaseURL
	}
	return strings.TrimRight(u, "/")
}

// ExternalID is the lead's externalId for a CRM record: <crm>:<object>:<id>, e.g.
// hubspot:contact:123 or salesforce:lead:00Q5e000001abcD.
func (c Connection) ExternalID(id string) string {
	return ExternalID(c.CRM, c.ObjectName(), id)
}

// ExternalID builds <crm>:<object>:<id> with the CRM in lower case.
func ExternalID(kind Kind, object, id string) string {
	return strings.ToLower(string(kind)) + ":" + object + ":" + id
}

// ParseExternalID splits a CRM externalId (<crm>:<object>:<id>) into its parts; ok is false for any
// other externalId (leads from the API or a CSV import). The CRM comes back as its Kind.
func ParseExternalID(externalID string) (kind Kind, object, id string, ok bool) {
	crmName, rest, ok1 := strings.Cut(externalID, ":")
	object, id, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || object == "" || id == "" {
		return "", "", "", false
	}
	switch crmName {
	case "hubspot":
		return HubSpot, object, id, true
	case "salesforce":
		return Salesforce, object, id, true
	}
	return "", "", "", false
}

// Connection returns the named connection, or nil.
func (c *Config) Connection(name string) *Connection {
	if c == nil {
		return nil
	}
	for i := range c.Connections {
		if c.Connections[i].Name == name {
			return &c.Connections[i]
		}
	}
	return nil
}

// ErrNoSecret is wrapped when a credentials file is missing or empty.
var ErrNoSecret = errors.New("credential not configured")

// Secret reads one credentials file (see the Secret* names), trimmed of surrounding blanks. It is
// read on each use, so a rotated Secret takes effect without a restart. The error names the file,
// never its content.
func (c Connection) Secret(name string) (string, error) {
	path := filepath.Join(c.CredentialsDir, name)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("connection %s: %s: %w", c.Name, path, ErrNoSecret)
	}
	if err != nil {
		return "", fmt.Errorf("connection %s: reading %s: %w", c.Name, path, err)
	}
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "", fmt.Errorf("connection %s: %s is empty: %w", c.Name, path, ErrNoSecret)
	}
	return s, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

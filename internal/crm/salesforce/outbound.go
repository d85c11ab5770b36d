// Package salesforce is leadops' inbound Salesforce adapter: it reads Outbound Messages (SOAP
// notifications sent by a Flow or workflow rule), checks they come from the configured organization
// and hands their records to crm.Ingest; the HTTP layer answers with Ack only once they are stored.
package salesforce

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/leadops/leadops/internal/crm"
)

// Namespaces of the outbound messaging WSDL.
const (
	NamespaceSOAP     = "http://schemas.xmlsoap.org/soap/envelope/"
	NamespaceOutbound = "http://soap.sforce.com/2005/09/outbound"
	NamespaceXSI      = "http://www.w3.org/2001/XMLSchema-instance"
)

// MaxNotifications is the most notifications Salesforce puts in one message.
const MaxNotifications = 100

// Envelope is an outbound message.
type Envelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Notifications *Notifications `xml:"http://soap.sforce.com/2005/09/outbound notifications"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// Notifications is the body of an outbound message.
type Notifications struct {
	OrganizationID string         `xml:"OrganizationId"`
	ActionID       string         `xml:"ActionId"`
	Notification   []Notification `xml:"Notification"`
}

// Notification is one changed record.
type Notification struct {
	ID      string  `xml:"Id"`
	SObject SObject `xml:"sObject"`
}

// SObject is a record with the fields the outbound message was set up to send.
type SObject struct {
	// Type is the xsi:type without its prefix: Lead, Task, Contact.
	Type   string
	Fields map[string]string
	// Nil lists the fields sent as xsi:nil (cleared).
	Nil map[string]bool
}

// UnmarshalXML reads any sObject: its xsi:type and every child element as a field.
func (s *SObject) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		if a.Name.Local == "type" && (a.Name.Space == NamespaceXSI || a.Name.Space == "xsi") {
			_, s.Type, _ = strings.Cut(a.Value, ":")
			if s.Type == "" {
				s.Type = a.Value
			}
		}
	}
	s.Fields, s.Nil = map[string]string{}, map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var v struct {
				Value string     `xml:",chardata"`
				Attrs []xml.Attr `xml:",any,attr"`
			}
			if err := d.DecodeElement(&v, &t); err != nil {
				return err
			}
			s.Fields[t.Name.Local] = v.Value
			for _, a := range v.Attrs {
				if a.Name.Local == "nil" && a.Value == "true" {
					s.Nil[t.Name.Local] = true
				}
			}
		case xml.EndElement:
			return nil
		}
	}
}

// Parse reads an outbound message. Errors wrap crm.ErrMalformed.
func Parse(body []byte) (*Notifications, error) {
	var env Envelope
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%w: not a SOAP envelope: %v", crm.ErrMalformed, err)
	}
	n := env.Body.Notifications
	switch {
	case n == nil:
		return nil, fmt.Errorf("%w: the SOAP body holds no outbound messaging notifications", crm.ErrMalformed)
	case n.OrganizationID == "":
		return nil, fmt.Errorf("%w: the notifications carry no OrganizationId", crm.ErrMalformed)
	case len(n.Notification) > MaxNotifications:
		return nil, fmt.Errorf("%w: %d notifications, Salesforce sends at most %d", crm.ErrMalformed, len(n.Notification), MaxNotifications)
	}
	for i, no := range n.Notification {
		if no.SObject.Fields["Id"] == "" {
			return nil, fmt.Errorf("%w: Notification[%d] has an sObject without Id", crm.ErrMalformed, i)
		}
	}
	return n, nil
}

// AckXML is the answer that tells Salesforce the notifications are handled; anything else makes it
// retry the message (for up to 24 hours).
const AckXML = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
   <Ack>true</Ack>
  </notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>
`

// FaultXML renders a SOAP 1.1 fault; code is "Client" (the message is at fault) or "Server".
func FaultXML(code, message string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:`)
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString(`</faultcode><faultstring>`)
	_ = xml.EscapeText(&b, []byte(message))
	b.WriteString("</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>\n")
	return b.Bytes()
}

// SameOrganization compares organization ids: Salesforce ids come in a case-sensitive 15-character
// form and an 18-character form that adds a checksum suffix, so the first 15 characters decide.
func SameOrganization(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if len(a) < 15 || len(b) < 15 {
		return a == b && a != ""
	}
	return a[:15] == b[:15]
}

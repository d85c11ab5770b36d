package normalize

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestNormalize is the table of messy inputs the way marketing tools, CSV
// exports and people send them; want is the canonical form, wantErr a
// substring of the error when the value must be refused.
func TestNormalize(t *testing.T) {
	type tc struct {
		kind, in, region string
		want, wantErr    string
	}
	cases := []tc{
		// emails
		{kind: "email", in: "  Jane@ACME.com ", want: "jane@acme.com"},
		{kind: "email", in: "JANE.DOE+webinar@Eu.Acme.CO.UK", want: "jane.doe+webinar@eu.acme.co.uk"},
		{kind: "email", in: "jane@acme.com.", want: "jane@acme.com"},
		{kind: "email", in: "jürgen@bücher.de", want: "jürgen@xn--bcher-kva.de"},
		{kind: "email", in: "Jane Doe <jane@acme.com>", wantErr: "no display name"},
		{kind: "email", in: "jane@", wantErr: "not a valid email address"},
		{kind: "email", in: "jane@@acme.com", wantErr: "not a valid email address"},
		{kind: "email", in: "jane acme.com", wantErr: "not a valid email address"},
		{kind: "email", in: "jane@localhost", wantErr: "no dot"},
		{kind: "email", in: "jane@acme..com", wantErr: "not a valid email address"},
		{kind: "email", in: "jane@-acme.com", wantErr: "not a valid domain name"},
		{kind: "email", in: "jane@[10.0.0.1]", wantErr: "not"},
		{kind: "email", in: "   ", wantErr: "empty"},

		// domains: subdomains, schemes, ports, multi-part public suffixes, IDNA
		{kind: "domain", in: "ACME.com", want: "acme.com"},
		{kind: "domain", in: "www.acme.com", want: "acme.com"},
		{kind: "domain", in: "eu.acme.com", want: "acme.com"},
		{kind: "domain", in: "https://EU.Acme.co.uk:443/about?x=1#top", want: "acme.co.uk"},
		{kind: "domain", in: "shop.acme.com.au", want: "acme.com.au"},
		{kind: "domain", in: "acme.co.jp.", want: "acme.co.jp"},
		{kind: "domain", in: "http://user@mail.acme.com.br", want: "acme.com.br"},
		{kind: "domain", in: "acme.github.io", want: "acme.github.io"},
		{kind: "domain", in: "Bücher.DE", want: "xn--bcher-kva.de"},
		{kind: "domain", in: "initech.example", want: "initech.example"},
		{kind: "domain", in: "sales.initech.example", want: "initech.example"},
		{kind: "domain", in: "co.uk", wantErr: "public suffix"},
		{kind: "domain", in: "localhost", wantErr: "no dot"},
		{kind: "domain", in: "10.1.2.3", wantErr: "IP address"},
		{kind: "domain", in: "acme_corp.com", wantErr: "not a valid domain"},
		{kind: "domain", in: "", wantErr: "empty"},

		// domain from email, free-mail and disposable providers
		{kind: "fromemail", in: "jane@eu.acme.co.uk", want: "acme.co.uk"},
		{kind: "fromemail", in: "jane@acme.com", want: "acme.com"},
		{kind: "fromemail", in: "jane@gmail.com", want: "-"},
		{kind: "fromemail", in: "jane@yahoo.co.uk", want: "-"},
		{kind: "fromemail", in: "jane@mail.yahoo.co.uk", want: "-"},
		{kind: "fromemail", in: "bob@mailinator.com", want: "-"},
		{kind: "fromemail", in: "bob@proton.me", want: "-"},
		{kind: "fromemail", in: "not-an-email", want: "-"},
		{kind: "freemail", in: "GMAIL.COM", want: "true"},
		{kind: "freemail", in: "outlook.com", want: "true"},
		{kind: "freemail", in: "guerrillamail.com", want: "true"},
		{kind: "freemail", in: "acme.com", want: "false"},
		{kind: "freemail", in: "gmail.acme.com", want: "false"},

		// countries: names, alpha-2, alpha-3, numeric, common spellings
		{kind: "country", in: "de", want: "DE"},
		{kind: "country", in: "DEU", want: "DE"},
		{kind: "country", in: "Germany", want: "DE"},
		{kind: "country", in: " deutschland ", want: "DE"},
		{kind: "country", in: "USA", want: "US"},
		{kind: "country", in: "U.S.A.", want: "US"},
		{kind: "country", in: "united states of america", want: "US"},
		{kind: "country", in: "UK", want: "GB"},
		{kind: "country", in: "Great Britain", want: "GB"},
		{kind: "country", in: "United Kingdom", want: "GB"},
		{kind: "country", in: "Holland", want: "NL"},
		{kind: "country", in: "South Korea", want: "KR"},
		{kind: "country", in: "Côte d'Ivoire", want: "CI"},
		{kind: "country", in: "Czech Republic", want: "CZ"},
		{kind: "country", in: "276", want: "DE"},
		{kind: "country", in: "Atlantis", wantErr: "unknown country"},
		{kind: "country", in: "XX", wantErr: "unknown country"},

		// phones: national formats need the lead's country
		{kind: "phone", in: "030 1234567", region: "DE", want: "+49301234567"},
		{kind: "phone", in: "+49 (0)30 123-4567", region: "", want: "+49301234567"},
		{kind: "phone", in: "(415) 555-2671", region: "US", want: "+14155552671"},
		{kind: "phone", in: "415.555.2671", region: "us", want: "+14155552671"},
		{kind: "phone", in: "020 7946 0018", region: "GB", want: "+442079460018"},
		{kind: "phone", in: "0044 20 7946 0018", region: "DE", want: "+442079460018"},
		{kind: "phone", in: "(02) 9374 4000", region: "AU", want: "+61293744000"},
		{kind: "phone", in: "01 42 68 53 00", region: "FR", want: "+33142685300"},
		{kind: "phone", in: "12345", region: "DE", wantErr: "not a phone number for region DE"},
		{kind: "phone", in: "call me", region: "US", wantErr: "not a phone number for region US"},
		{kind: "phone", in: "030 1234567", region: "", wantErr: "national numbers need the lead's country"},

		// company names: case, punctuation, whitespace, legal suffixes
		{kind: "company", in: "ACME, Inc.", want: "acme"},
		{kind: "company", in: "Acme Inc", want: "acme"},
		{kind: "company", in: "ACME", want: "acme"},
		{kind: "company", in: "  acme   corporation ", want: "acme"},
		{kind: "company", in: "Acme L.L.C.", want: "acme"},
		{kind: "company", in: "Acme Holdings Pty Ltd", want: "acmeholdings"},
		{kind: "company", in: "Müller GmbH & Co. KG", want: "muller"},
		{kind: "company", in: "Société Générale S.A.", want: "societegenerale"},
		{kind: "company", in: "Initech B.V.", want: "initech"},
		{kind: "company", in: "Initech BV", want: "initech"},
		{kind: "company", in: "Nokia Oyj", want: "nokia"},
		{kind: "company", in: "Volvo AB", want: "volvo"},
		{kind: "company", in: "Tesco PLC", want: "tesco"},
		{kind: "company", in: "Smith & Co.", want: "smith"},
		{kind: "company", in: "The Home Depot, Inc.", want: "homedepot"},
		{kind: "company", in: "McDonald's Corp", want: "mcdonalds"},
		{kind: "company", in: "AT&T Inc.", want: "atandt"},
		{kind: "company", in: "Co-operative Bank", want: "cooperativebank"},
		{kind: "company", in: "Globex SAS", want: "globex"},
		{kind: "company", in: "Inc.", want: "inc"},
		{kind: "company", in: " ,. ", want: ""},
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.in, func(t *testing.T) {
			var got string
			var err error
			switch c.kind {
			case "email":
				got, err = Email(c.in)
			case "domain":
				got, err = Domain(c.in)
			case "fromemail":
				d, ok := DomainFromEmail(c.in)
				got = d
				if !ok {
					got = "-"
				}
			case "freemail":
				got = "false"
				if IsFreeMail(c.in) {
					got = "true"
				}
			case "country":
				got, err = Country(c.in)
			case "phone":
				got, err = Phone(c.in, c.region)
			case "company":
				got = CompanyKey(c.in)
			default:
				t.Fatalf("unknown kind %q", c.kind)
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("%s(%q, %q) = %q, %v; want error containing %q", c.kind, c.in, c.region, got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("%s(%q, %q) = %q, %v; want %q", c.kind, c.in, c.region, got, err, c.want)
			}
		})
	}
	if len(cases) < 40 {
		t.Fatalf("the table must keep at least 40 messy inputs, has %d", len(cases))
	}
}

// TestIdempotent checks that normalizing a normalized value changes nothing,
// so values stored after ingest can be re-sent safely.
func TestIdempotent(t *testing.T) {
	for _, s := range []string{"jane@acme.com", "jane@xn--bcher-kva.de"} {
		if got, err := Email(s); err != nil || got != s {
			t.Errorf("Email(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"acme.com", "acme.co.uk", "xn--bcher-kva.de"} {
		if got, err := Domain(s); err != nil || got != s {
			t.Errorf("Domain(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"DE", "US", "GB"} {
		if got, err := Country(s); err != nil || got != s {
			t.Errorf("Country(%q) = %q, %v", s, got, err)
		}
	}
	if got, err := Phone("+49301234567", ""); err != nil || got != "+49301234567" {
		t.Errorf("Phone(E.164) = %q, %v", got, err)
	}
	if k := CompanyKey("acme"); k != "acme" {
		t.Errorf("CompanyKey(acme) = %q", k)
	}
}

// TestFreeMailListIsNormalized keeps freemail.txt in the form
// hack/update-freemail.sh writes: lower-case ASCII registrable domains,
// sorted, no duplicates, each matched by IsFreeMail.
func TestFreeMailListIsNormalized(t *testing.T) {
	data, err := os.ReadFile("freemail.txt")
	if err != nil {
		t.Fatal(err)
	}
	var domains []string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line != strings.TrimSpace(strings.ToLower(line)) {
			t.Errorf("freemail.txt: %q is not lower-case and trimmed", line)
		}
		if _, err := asciiHost(line); err != nil {
			t.Errorf("freemail.txt: %q: %v", line, err)
		}
		if !IsFreeMail(line) {
			t.Errorf("IsFreeMail(%q) = false", line)
		}
		domains = append(domains, line)
	}
	if !slices.IsSorted(domains) {
		t.Error("freemail.txt is not sorted: run hack/update-freemail.sh")
	}
	if len(slices.Compact(slices.Clone(domains))) != len(domains) {
		t.Error("freemail.txt has duplicates: run hack/update-freemail.sh")
	}
	if len(domains) < 100 {
		t.Errorf("freemail.txt has %d domains, want the maintained list", len(domains))
	}
}

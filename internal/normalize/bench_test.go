package normalize

import "testing"

// BenchmarkLeadFields normalizes what one messy lead brings: an email, the domain derived from
// it, a country name and a phone in national format. Ingest does this for every lead of a batch.
func BenchmarkLeadFields(b *testing.B) {
	for b.Loop() {
		e, err := Email(" Jane.Doe@EU.Acme.co.uk ")
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := DomainFromEmail(e); !ok {
			b.Fatal("no domain")
		}
		c, err := Country("Germany")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Phone("030 1234567", c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPhone(b *testing.B) {
	for b.Loop() {
		if _, err := Phone("030 1234567", "DE"); err != nil {
			b.Fatal(err)
		}
	}
}

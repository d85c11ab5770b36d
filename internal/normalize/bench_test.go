package normalize

import (
	"fmt"
	"testing"
)

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

// BenchmarkPhoneDistinct parses a different number each time: every call misses Phone's cache.
func BenchmarkPhoneDistinct(b *testing.B) {
	i := 0
	for b.Loop() {
		i++
		if _, err := Phone(fmt.Sprintf("030 %07d", 2000000+i%7000000), "DE"); err != nil {
			b.Fatal(err)
		}
	}
}

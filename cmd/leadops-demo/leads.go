package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/leadops/leadops/internal/store"
)

// Synthetic lead data: obviously fictional companies on the reserved .example TLD, numbered contacts,
// and the sources, campaigns and scores a marketing automation tool would send.
var (
	companyFirst = []string{"Bluefin", "Copperleaf", "Driftwood", "Emberline", "Foxglove", "Granite", "Harborview",
		"Ironbark", "Juniper", "Kestrel", "Lanternfish", "Marigold", "Nightjar", "Oakmoss", "Pinecrest", "Quillon",
		"Redwater", "Saltmarsh", "Thistle", "Umberfield", "Vantage", "Willowbrook", "Yarrow", "Zephyr"}
	companySecond = []string{"Analytics", "Logistics", "Robotics", "Health", "Foods", "Software", "Energy",
		"Freight", "Labs", "Retail", "Finance", "Studios", "Systems", "Outfitters"}
	industries = []string{"software", "logistics", "manufacturing", "healthcare", "retail", "financial-services",
		"energy", "media"}
	countries = []string{"US", "US", "US", "US", "US", "CA", "GB", "GB", "DE", "AU"}
	// sources pairs each lead source with this quarter's campaign; weight is its share of the stream.
	sources = []struct {
		source, campaign string
		weight           int
	}{
		{"web-form", "2027-q1-pricing-page", 30},
		{"webinar", "2027-02-webinar-handoff-as-code", 20},
		{"paid-search", "2027-q1-brand-search", 20},
		{"content", "2027-q1-ebook-sla-playbook", 15},
		{"event", "2027-demo-conference-booth", 10},
		{"partner", "2027-q1-partner-referrals", 5}, // governed by no policy: the inbound policy excludes partners
	}
	rejectReasons = []string{"no budget this fiscal year", "student / not a buyer", "outside our sales regions",
		"duplicate of an open opportunity", "wrong contact; asked to be removed"}
	loseReasons = []string{"chose a competitor", "project postponed", "no decision"}
)

// synthLead makes the n-th synthetic lead. prefix keeps external ids of history and the live stream
// apart; withPartners false leaves out partner leads (no policy governs them).
func synthLead(r *rand.Rand, prefix string, n int, withPartners bool) store.LeadInput {
	var company, domain string
	if r.IntN(100) < 12 {
		a := accounts[r.IntN(len(accounts))]
		company, domain = a.Name, a.Domain
	} else {
		first, second := companyFirst[r.IntN(len(companyFirst))], companySecond[r.IntN(len(companySecond))]
		company = first + " " + second + " (demo)"
		domain = strings.ToLower(first+"-"+second) + ".example"
	}
	var employees int64
	switch p := r.IntN(100); {
	case p < 50:
		employees = 10 + r.Int64N(190)
	case p < 80:
		employees = 200 + r.Int64N(800)
	default:
		employees = 1000 + r.Int64N(19000)
	}
	total := 0
	for _, s := range sources {
		if withPartners || s.source != "partner" {
			total += s.weight
		}
	}
	pick := r.IntN(total)
	src := sources[0]
	for _, s := range sources {
		if !withPartners && s.source == "partner" {
			continue
		}
		if pick < s.weight {
			src = s
			break
		}
		pick -= s.weight
	}
	// Scores cluster in the 60s and 70s: about two thirds pass the samples' qualification gate (>= 60).
	score := int64(35 + r.IntN(40) + r.IntN(25))
	attrs := map[string]any{"utm_medium": map[string]string{"web-form": "organic", "webinar": "email",
		"paid-search": "cpc", "content": "organic", "event": "offline", "partner": "referral"}[src.source]}
	if employees >= 1000 && r.IntN(3) == 0 {
		attrs["plan"] = "enterprise"
	}
	return store.LeadInput{
		ExternalID: fmt.Sprintf("%s-%05d", prefix, n),
		Email:      fmt.Sprintf("contact%05d@%s", n, domain),
		Name:       fmt.Sprintf("Demo Contact %05d", n),
		Company:    company,
		Domain:     domain,
		Country:    countries[r.IntN(len(countries))],
		Industry:   industries[r.IntN(len(industries))],
		Employees:  employees,
		Source:     src.source,
		Campaign:   src.campaign,
		Score:      score,
		Attributes: attrs,
	}
}

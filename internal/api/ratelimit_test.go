package api

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestLimitsFor(t *testing.T) {
	ls := newLimiters(50, 100)
	for _, tc := range []struct {
		name  string
		tok   token
		limit rate.Limit
		burst int
	}{
		{"the defaults", token{}, 50, 100},
		{"its own rate, burst from the rate", token{rate: 2.5, hasRate: true}, 2.5, 3},
		{"its own rate and burst", token{rate: 1, hasRate: true, burst: 7}, 1, 7},
		{"its own burst only", token{burst: 9}, 50, 9},
		{"rate=0 exempts it", token{rate: 0, hasRate: true}, rate.Inf, 1},
	} {
		if l, b := ls.limitsFor(&tc.tok); l != tc.limit || b != tc.burst {
			t.Errorf("%s: %v/%d, want %v/%d", tc.name, l, b, tc.limit, tc.burst)
		}
	}
	if l, _ := newLimiters(0, 0).limitsFor(&token{}); l != rate.Inf {
		t.Errorf("no default limit: %v", l)
	}
}

// TestBucketsSurviveReloads: rewriting the token file must not refill a flooding token's bucket, and a
// removed token's bucket is dropped.
func TestBucketsSurviveReloads(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ls := newLimiters(1, 2)
	ls.now = func() time.Time { return now }
	flood := &token{principal: principal{name: "flood"}}
	for i, want := range []bool{true, true, false} {
		if ok, _ := ls.allow(flood); ok != want {
			t.Fatalf("request %d: allowed %v, want %v", i, ok, want)
		}
	}
	ls.prune(&tokenSet{tokens: []token{*flood}}) // a reload that keeps the token
	ok, wait := ls.allow(&token{principal: principal{name: "flood"}})
	if ok || wait != time.Second {
		t.Errorf("after a reload: allowed %v, wait %v; want refused for 1s", ok, wait)
	}
	if ok, _ := ls.allow(&token{principal: principal{name: "other"}}); !ok {
		t.Error("another token was refused")
	}
	ls.prune(&tokenSet{})
	if len(ls.m) != 0 {
		t.Errorf("buckets of removed tokens kept: %d", len(ls.m))
	}
	now = now.Add(time.Second)
	if ok, _ := ls.allow(flood); !ok {
		t.Error("refused after the bucket refilled")
	}
}

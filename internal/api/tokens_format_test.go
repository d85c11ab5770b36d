package api

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTokenLine(t *testing.T) {
	exp := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, tc := range []struct {
		line    string
		name    string
		scopes  []Scope
		member  string
		expires time.Time
		legacy  bool
		rate    float64
		burst   int
		err     string
	}{
		{line: "hubspot:tok-1 scopes=leads:write", name: "hubspot", scopes: []Scope{ScopeLeadsWrite}},
		{line: "alice : tok-2   scopes=leads:read,activities:own member=alice", name: "alice",
			scopes: []Scope{ScopeLeadsRead, ScopeActivitiesOwn}, member: "alice"},
		{line: "bob:tok-3 scopes=activities:own member=bob expires=2026-12-31T23:59:59Z rate=2.5 burst=7", name: "bob",
			scopes: []Scope{ScopeActivitiesOwn}, member: "bob", expires: exp, rate: 2.5, burst: 7},
		{line: "ops:tok-4 scopes=admin,admin", name: "ops", scopes: []Scope{ScopeAdmin}},
		{line: "mgr:tok-5 scopes=activities:any", name: "mgr", scopes: []Scope{ScopeActivitiesAny}},
		// The old format: admin.
		{line: "old:tok-6", name: "old", scopes: []Scope{ScopeAdmin}, legacy: true},
		{line: "tok-7", name: "token-", scopes: []Scope{ScopeAdmin}, legacy: true},
		{line: "tok-8 scopes=leads:read", name: "token-", scopes: []Scope{ScopeLeadsRead}},
		// Refused lines, with the reason (never the token).
		{line: "x:S3CR3T scopes=leads:delete", err: `unknown scope "leads:delete"`},
		{line: "x:S3CR3T scopes=activities:own", err: "needs member=NAME"},
		{line: "x:S3CR3T member=alice", err: "options without scopes="},
		{line: "x:S3CR3T scopes=admin colour=red", err: `unknown option "colour"`},
		{line: "x:S3CR3T scopes=admin expires=tomorrow", err: "not an RFC 3339 time"},
		{line: "x:S3CR3T scopes=admin rate=-1", err: "requests per second"},
		{line: "x:S3CR3T scopes=admin burst=0", err: "whole number"},
		{line: "x:S3CR3T scopes", err: "not KEY=VALUE"},
		{line: ":S3CR3T scopes=admin", err: "expected NAME:TOKEN"},
		{line: "x:", err: "expected NAME:TOKEN"},
		{line: "b64:YWJj== scopes=leads:read", name: "b64", scopes: []Scope{ScopeLeadsRead}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			tok, err := parseTokenLine(tc.line)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "S3CR3T") {
					t.Errorf("the error quotes the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok.name, tc.name) || !slices.Equal(tok.scopes, tc.scopes) || tok.member != tc.member ||
				!tok.expires.Equal(tc.expires) || tok.legacy != tc.legacy || float64(tok.rate) != tc.rate || tok.burst != tc.burst {
				t.Errorf("got %+v", tok)
			}
		})
	}
}

func TestParseTokensDuplicateNames(t *testing.T) {
	set, bad := parseTokens([]byte("a:t1 scopes=admin\n# c\n\na:t2 scopes=leads:read\nb:t3 scopes=nope\n"))
	if len(set.tokens) != 1 || len(bad) != 2 || bad[0].Line != 4 || bad[1].Line != 5 {
		t.Fatalf("tokens %d, skipped %+v", len(set.tokens), bad)
	}
}

func TestScopeImplication(t *testing.T) {
	for _, tc := range []struct {
		have []Scope
		want Scope
		ok   bool
	}{
		{[]Scope{ScopeAdmin}, ScopeLeadsWrite, true},
		{[]Scope{ScopeAdmin}, ScopeActivitiesAny, true},
		{[]Scope{ScopeActivitiesAny}, ScopeActivitiesOwn, true},
		{[]Scope{ScopeActivitiesOwn}, ScopeActivitiesAny, false},
		{[]Scope{ScopeLeadsWrite}, ScopeLeadsRead, false},
		{[]Scope{ScopeLeadsRead}, ScopeLeadsWrite, false},
		{[]Scope{ScopeLeadsRead, ScopeActivitiesAny}, ScopeAdmin, false},
		{nil, ScopeLeadsRead, false},
	} {
		p := &principal{scopes: tc.have}
		if got := p.has(tc.want); got != tc.ok {
			t.Errorf("%v has %s: %v, want %v", tc.have, tc.want, got, tc.ok)
		}
	}
	var none *principal
	if none.has(ScopeLeadsRead) {
		t.Error("a nil principal has a scope")
	}
}

func TestMayActOn(t *testing.T) {
	rep := &principal{name: "alice-token", scopes: []Scope{ScopeActivitiesOwn}, member: "alice"}
	mgr := &principal{name: "mgr", scopes: []Scope{ScopeActivitiesAny}}
	reader := &principal{name: "r", scopes: []Scope{ScopeLeadsRead}}
	for _, tc := range []struct {
		p     *principal
		owner string
		err   string
	}{
		{rep, "alice", ""},
		{rep, "bob", `acts as member "alice"`},
		{rep, "", `acts as member "alice"`}, // an unowned lead is nobody's
		{mgr, "bob", ""},
		{mgr, "", ""},
		{reader, "alice", "lacks the scope activities:own"},
	} {
		e := tc.p.mayActOn(tc.owner)
		switch {
		case tc.err == "" && e != nil:
			t.Errorf("%s on %q: %v", tc.p.name, tc.owner, e)
		case tc.err != "" && (e == nil || !strings.Contains(e.msg, tc.err) || e.status != 403):
			t.Errorf("%s on %q: %v, want 403 %q", tc.p.name, tc.owner, e, tc.err)
		case e != nil && tc.owner != "" && strings.Contains(e.msg, `"`+tc.owner+`"`) && tc.owner != tc.p.member:
			t.Errorf("the 403 names the owner: %s", e.msg)
		}
	}
}

// TestDocsTokenFileExample keeps docs/tokens.md's example file valid: every line of it parses.
func TestDocsTokenFileExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "tokens.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### Example\n\n```text\n(.*?)```").FindSubmatch(raw)
	if m == nil {
		t.Fatal("docs/tokens.md has no example token file")
	}
	set, bad := parseTokens(m[1])
	if len(bad) > 0 || len(set.tokens) != 6 {
		t.Fatalf("the example has %d tokens and skipped lines %+v", len(set.tokens), bad)
	}
	for _, tok := range set.tokens {
		if tok.legacy {
			t.Errorf("the example's %q is in the old format", tok.name)
		}
	}
}

// TestEveryRouteHasAScope keeps the route table closed by default: each authenticated route names its
// scope on purpose.
func TestEveryRouteHasAScope(t *testing.T) {
	var s Server
	for _, rt := range s.routes() {
		if !rt.public && rt.scope == "" {
			t.Errorf("%s has no scope (it falls back to admin; name the scope it needs)", rt.Pattern())
		}
	}
}

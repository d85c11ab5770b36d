package api_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
)

// The security tests' tokens: one per scope combination a deployment uses.
const (
	secWriter  = "sec-writer-token-0123456789abcdef"
	secReader  = "sec-reader-token-0123456789abcdef"
	secRep1    = "sec-rep1-token-0123456789abcdefgh"
	secRep2    = "sec-rep2-token-0123456789abcdefgh"
	secManager = "sec-manager-token-0123456789abcd"
	secAdmin   = "sec-admin-token-0123456789abcdef"
	secFlood   = "sec-flood-token-0123456789abcdef"
	secTemp    = "sec-temp-token-0123456789abcdefg"
	secExpired = "sec-expired-token-0123456789abcd"
)

var secTokenFile = strings.Join([]string{
	"# one token per role",
	"writer:" + secWriter + " scopes=leads:write",
	"reader:" + secReader + " scopes=leads:read",
	"rep1:" + secRep1 + " scopes=leads:read,activities:own member=rep-1",
	"rep2:" + secRep2 + " scopes=leads:read,activities:own member=rep-2",
	"manager:" + secManager + " scopes=leads:read,activities:any",
	"ops:" + secAdmin + " scopes=admin",
	"flood:" + secFlood + " scopes=leads:read rate=1 burst=3",
	"temp:" + secTemp + " scopes=leads:read",
	"expired:" + secExpired + " scopes=leads:read expires=2020-01-01T00:00:00Z",
}, "\n") + "\n"

// secEnv is one backend's server for the security table: leads L1 (rep-1's), L2 (rep-2's) and L3
// (new, nobody's), and a TLS server beside the plain one.
type secEnv struct {
	ts                 *testServer
	l1, l2, l3         string
	tlsURL             string
	caPEM, otherCAPEM  []byte
	readHeaderDeadline time.Duration
}

// result is what a case observed: the status (0 when the connection failed), the error message or
// the transport error, and the Retry-After header.
type result struct {
	status     int
	msg        string
	retryAfter string
}

func TestSecurityTable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		env := newSecEnv(t, st)
		ctx := context.Background()
		hugeHeader := strings.Repeat("x", 2*api.MaxHeaderBytes) // net/http allows 4 KiB of slack above the limit
		activity := func(kind string) string { return `{"kind":"` + kind + `","reason":"security test"}` }
		for _, tc := range []struct {
			name   string
			method string
			path   string // %1, %2, %3 become the ids of L1, L2, L3
			token  string
			body   string
			header map[string]string
			// send replaces the plain request for cases below HTTP (TLS, slow clients, floods).
			send   func(t *testing.T) result
			status int
			msg    string
		}{
			// Every scope denied where it must be.
			{name: "leads:write cannot list leads", method: "GET", path: "/v1/leads", token: secWriter,
				status: 403, msg: `the token "writer" lacks the scope leads:read needed here (it has: leads:write)`},
			{name: "leads:write cannot read a lead", method: "GET", path: "/v1/leads/{L1}", token: secWriter,
				status: 403, msg: "lacks the scope leads:read"},
			{name: "leads:write cannot read by external id", method: "GET", path: "/v1/leads/by-external-id/SEC-1", token: secWriter,
				status: 403, msg: "lacks the scope leads:read"},
			{name: "leads:write cannot read an account", method: "GET", path: "/v1/accounts/acme.com", token: secWriter,
				status: 403, msg: "lacks the scope leads:read"},
			{name: "leads:write cannot read the event feed", method: "GET", path: "/v1/events", token: secWriter,
				status: 403, msg: "lacks the scope leads:read"},
			{name: "leads:write cannot win a deal", method: "POST", path: "/v1/leads/{L1}/activities", token: secWriter,
				body: `{"kind":"win","amount":1000}`, status: 403, msg: "lacks the scope activities:own"},
			{name: "leads:read cannot create a lead", method: "POST", path: "/v1/leads", token: secReader,
				body: `{"externalId":"SEC-NEW","email":"new@example.com"}`, status: 403, msg: "lacks the scope leads:write"},
			{name: "leads:read cannot batch", method: "POST", path: "/v1/leads/batch", token: secReader,
				body: `{"leads":[{"externalId":"SEC-NEW"}]}`, status: 403, msg: "lacks the scope leads:write"},
			{name: "leads:read cannot write an account", method: "PUT", path: "/v1/accounts/acme.com", token: secReader,
				body: `{"owner":"rep-2"}`, status: 403, msg: "lacks the scope leads:write"},
			{name: "leads:read cannot reject", method: "POST", path: "/v1/leads/{L1}/activities", token: secReader,
				body: activity("reject"), status: 403, msg: "lacks the scope activities:own"},
			{name: "a rep cannot create leads", method: "POST", path: "/v1/leads", token: secRep1,
				body: `{"externalId":"SEC-NEW"}`, status: 403, msg: `the token "rep1" lacks the scope leads:write`},
			{name: "a manager cannot write accounts", method: "PUT", path: "/v1/accounts/acme.com", token: secManager,
				body: `{"owner":"rep-2"}`, status: 403, msg: `the token "manager" lacks the scope leads:write`},
			{name: "a manager cannot update leads", method: "POST", path: "/v1/leads", token: secManager,
				body: `{"externalId":"SEC-1","name":"Changed"}`, status: 403, msg: "lacks the scope leads:write"},
			// A rep acting on another rep's lead, or on nobody's.
			{name: "rep-1 cannot accept rep-2's lead", method: "POST", path: "/v1/leads/{L2}/activities", token: secRep1,
				body: activity("accept"), status: 403, msg: `the token "rep1" acts as member "rep-1", and its scope activities:own covers only leads that member owns`},
			{name: "rep-1 cannot reject rep-2's lead", method: "POST", path: "/v1/leads/{L2}/activities", token: secRep1,
				body: activity("reject"), status: 403, msg: "this lead is not theirs"},
			{name: "rep-2 cannot win rep-1's lead", method: "POST", path: "/v1/leads/{L1}/activities", token: secRep2,
				body: `{"kind":"win","amount":5}`, status: 403, msg: `acts as member "rep-2"`},
			{name: "a rep cannot qualify an unowned lead", method: "POST", path: "/v1/leads/{L3}/activities", token: secRep1,
				body: activity("qualify"), status: 403, msg: "(acting on any lead needs the scope activities:any)"},
			{name: "a rep's activity on a missing lead", method: "POST", path: "/v1/leads/no-such-lead/activities", token: secRep1,
				body: activity("touch"), status: 404, msg: `no lead with id "no-such-lead"`},
			// Tokens that are gone, expired, malformed or in the wrong place.
			{name: "no token", method: "GET", path: "/v1/leads", status: 401, msg: "the request has no Authorization header"},
			{name: "unknown token", method: "GET", path: "/v1/leads", token: "not-a-token-at-all-000000",
				status: 401, msg: "the token is not one the server accepts"},
			{name: "expired token", method: "GET", path: "/v1/leads", token: secExpired, status: 401, msg: "the token has expired"},
			{name: "token in the query string", method: "GET", path: "/v1/leads?access_token=" + secReader,
				status: 400, msg: "tokens are never accepted in the URL"},
			{name: "token in the query string beside a valid header", method: "GET", path: "/v1/leads?api_key=whatever", token: secReader,
				status: 400, msg: "tokens are never accepted in the URL"},
			{name: "a valid token as a filter value", method: "GET", path: "/v1/leads?owner=" + secAdmin, token: secReader,
				status: 400, msg: "tokens are never accepted in the URL"},
			// Hostile input.
			{name: "oversized headers", method: "GET", path: "/v1/leads", token: secReader, header: map[string]string{"X-Pad": hugeHeader},
				status: 431, msg: "Request Header Fields Too Large"},
			{name: "path traversal in an id", method: "GET", path: "/v1/leads/..%2F..%2Fetc%2Fpasswd", token: secReader,
				status: 404, msg: `no lead with id "../../etc/passwd"`},
			{name: "path traversal in an activity", method: "POST", path: "/v1/leads/..%2F%2e%2e%2Fv1%2Fleads/activities", token: secRep1,
				body: activity("touch"), status: 404, msg: "no lead with id"},
			{name: "SQL in an id", method: "GET", path: "/v1/leads/1'%20OR%20'1'%3D'1", token: secReader, status: 404, msg: `no lead with id "1' OR '1'='1"`},
			{name: "SQL in an external id", method: "GET", path: "/v1/leads/by-external-id/x';%20DROP%20TABLE%20leads;--", token: secReader,
				status: 404, msg: "no lead with that external id"},
			{name: "SQL in a rep's activity id", method: "POST", path: "/v1/leads/x'%20OR%20owner%3D'rep-1/activities", token: secRep1,
				body: activity("touch"), status: 404, msg: "no lead with id"},
			{name: "SQL in a filter matches nothing", method: "GET", path: "/v1/leads?owner=%27%20OR%201%3D1--", token: secReader,
				status: 200, msg: `"leads": []`},
			// Below HTTP.
			{name: "a slow client is cut off after the read-header timeout", send: env.slowClient, status: 0,
				msg: "closed after the read-header timeout"},
			{name: "TLS with a CA that did not sign the server's certificate", send: func(t *testing.T) result {
				return env.tlsGet(t, env.otherCAPEM, 0)
			}, status: 0, msg: "certificate signed by unknown authority"},
			{name: "TLS 1.1 refused", send: func(t *testing.T) result {
				return env.tlsGet(t, env.caPEM, tls.VersionTLS11)
			}, status: 0, msg: "protocol version"},
			{name: "TLS with the right CA", send: func(t *testing.T) result {
				return env.tlsGet(t, env.caPEM, 0)
			}, status: 200, msg: `"leads": [`},
			{name: "a flood from one token while another's requests succeed", send: env.flood,
				status: 429, msg: `the token "flood" is over its rate limit`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, st)
				var got result
				if tc.send != nil {
					got = tc.send(t)
				} else {
					path := strings.NewReplacer("{L1}", env.l1, "{L2}", env.l2, "{L3}", env.l3).Replace(tc.path)
					got = env.ts.raw(t, tc.method, path, tc.token, tc.body, tc.header)
				}
				if got.status != tc.status || !strings.Contains(got.msg, tc.msg) {
					t.Errorf("got %d %q\nwant %d with %q", got.status, got.msg, tc.status, tc.msg)
				}
				if after := snapshot(t, st); after != before {
					t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}

		// Removed and expired after a reload: the tokens worked before the file changed.
		t.Run("removed and expired tokens after a reload", func(t *testing.T) {
			before := snapshot(t, st)
			if r := env.ts.raw(t, "GET", "/v1/leads", secTemp, "", nil); r.status != 200 {
				t.Fatalf("temp before the reload: %d %s", r.status, r.msg)
			}
			rewritten := strings.Replace(secTokenFile, "temp:"+secTemp+" scopes=leads:read\n", "", 1)
			rewritten = strings.Replace(rewritten, "reader:"+secReader+" scopes=leads:read",
				"reader:"+secReader+" scopes=leads:read expires=2021-06-01T00:00:00Z", 1)
			if err := os.WriteFile(env.ts.tokenPath, []byte(rewritten), 0o600); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the removed token to be refused", func() bool {
				return env.ts.raw(t, "GET", "/v1/leads", secTemp, "", nil).status == 401
			})
			if r := env.ts.raw(t, "GET", "/v1/leads", secTemp, "", nil); !strings.Contains(r.msg, "not one the server accepts") {
				t.Errorf("removed token: %d %q", r.status, r.msg)
			}
			if r := env.ts.raw(t, "GET", "/v1/leads", secReader, "", nil); r.status != 401 || !strings.Contains(r.msg, "has expired") {
				t.Errorf("expired token: %d %q", r.status, r.msg)
			}
			if r := env.ts.raw(t, "GET", "/v1/leads", secRep1, "", nil); r.status != 200 {
				t.Errorf("a kept token after the reload: %d %q", r.status, r.msg)
			}
			if after := snapshot(t, st); after != before {
				t.Error("the store changed")
			}
			if err := os.WriteFile(env.ts.tokenPath, []byte(secTokenFile), 0o600); err != nil {
				t.Fatal(err)
			}
		})
		_ = ctx
	})
}

// TestScopedTokensAllowed is the table's other half: each token does what its scopes allow, and the
// audit log names the token.
func TestScopedTokensAllowed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Backend) {
		env := newSecEnv(t, st)
		ctx := context.Background()
		steps := []struct {
			method, path, token, body string
			status                    int
		}{
			{"POST", "/v1/leads", secWriter, `{"externalId":"SEC-9","email":"nine@example.com"}`, 201},
			{"PUT", "/v1/accounts/acme.com", secWriter, `{"owner":"rep-1"}`, 200},
			{"GET", "/v1/leads/{L1}", secReader, "", 200},
			{"GET", "/v1/events", secReader, "", 200},
			{"POST", "/v1/leads/{L1}/activities", secRep1, `{"kind":"touch"}`, 200},
			{"POST", "/v1/leads/{L2}/activities", secManager, `{"kind":"touch"}`, 200},
			{"POST", "/v1/leads/{L3}/activities", secAdmin, `{"kind":"qualify"}`, 200},
		}
		for _, s := range steps {
			path := strings.NewReplacer("{L1}", env.l1, "{L2}", env.l2, "{L3}", env.l3).Replace(s.path)
			if r := env.ts.raw(t, s.method, path, s.token, s.body, nil); r.status != s.status {
				t.Errorf("%s %s: %d %s, want %d", s.method, s.path, r.status, r.msg, s.status)
			}
		}
		for id, actor := range map[string]string{env.l1: "rep1", env.l2: "manager", env.l3: "ops"} {
			events, err := st.Audit(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if last := events[len(events)-1]; last.Actor != actor {
				t.Errorf("lead %s: last actor %q, want %q", id, last.Actor, actor)
			}
		}
	})
}

func TestLegacyTokenLinesWarnOncePerLoad(t *testing.T) {
	st := backends()[0].open(t)
	ts := startServer(t, st, func(o *api.Options) { o.TokenReloadInterval = 20 * time.Millisecond })
	const warning = "deprecated: token file lines without scopes= are granted admin"
	if n := strings.Count(ts.logs.String(), warning); n != 1 {
		t.Fatalf("%d warnings at start, want 1:\n%s", n, ts.logs)
	}
	for range 5 {
		ts.do(t, "GET", "/v1/leads", "", "Bearer "+tokenHubspot, nil)
		time.Sleep(25 * time.Millisecond)
	}
	if n := strings.Count(ts.logs.String(), warning); n != 1 {
		t.Errorf("%d warnings without a change to the file, want 1", n)
	}
	if err := os.WriteFile(ts.tokenPath, []byte(tokenFile+"ops:ops-token-0123456789 scopes=admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", func() bool {
		ts.do(t, "GET", "/v1/leads", "", "Bearer "+tokenHubspot, nil)
		return strings.Contains(ts.logs.String(), "token file reloaded")
	})
	if n := strings.Count(ts.logs.String(), warning); n != 2 {
		t.Errorf("%d warnings after one reload, want 2", n)
	}
	for _, secret := range []string{tokenHubspot, tokenAlice, tokenBare, "ops-token-0123456789"} {
		if strings.Contains(ts.logs.String(), secret) {
			t.Error("the log holds a token")
		}
	}
}

func newSecEnv(t *testing.T, st store.Backend) *secEnv {
	t.Helper()
	ctx := context.Background()
	env := &secEnv{readHeaderDeadline: 300 * time.Millisecond}
	env.ts = startServer(t, st, func(o *api.Options) {
		o.TokenReloadInterval = 20 * time.Millisecond
		o.ReadHeaderTimeout = env.readHeaderDeadline
	})
	if err := os.WriteFile(env.ts.tokenPath, []byte(secTokenFile), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the security token file", func() bool {
		return env.ts.raw(t, "GET", "/v1/leads", secReader, "", nil).status == 200
	})
	for i, owner := range []string{"rep-1", "rep-2", ""} {
		l, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: fmt.Sprintf("SEC-%d", i+1),
			Email: fmt.Sprintf("sec%d@example.com", i+1)}, "marketing")
		if err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			routeLead(t, st, l.ID, owner, "inbound")
		}
		*[]*string{&env.l1, &env.l2, &env.l3}[i] = l.ID
	}
	if err := st.UpsertAccount(ctx, store.Account{Domain: "acme.com", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	env.caPEM, env.tlsURL = startTLSServer(t, st, env.ts.tokenPath)
	env.otherCAPEM = newCA(t).pem
	return env
}

// raw sends a request and reads the error message (or, for a success, the body) whatever its format:
// net/http itself answers oversized headers in plain text.
func (ts *testServer) raw(t *testing.T, method, path, token, body string, header map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return send(t, http.DefaultClient, req)
}

func send(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		return result{msg: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, msg: string(b), retryAfter: resp.Header.Get("Retry-After")}
	var eb api.ErrorBody
	if resp.StatusCode >= 300 && jsonInto(b, &eb) == nil && eb.Error != "" {
		r.msg = eb.Error
	}
	return r
}

// slowClient sends half a request line and then nothing: the server must close the connection once
// the read-header timeout passes, while other clients are served meanwhile.
func (env *secEnv) slowClient(t *testing.T) result {
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /v1/leads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+secReader[:10]); err != nil {
		t.Fatal(err)
	}
	if r := env.ts.raw(t, "GET", "/v1/leads", secReader, "", nil); r.status != 200 {
		return result{status: r.status, msg: "another client was not served while the slow one waited: " + r.msg}
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * env.readHeaderDeadline))
	_, err = bufio.NewReader(conn).ReadString('\n')
	took := time.Since(start)
	switch {
	case err == nil:
		return result{msg: "the server answered a request it never fully received"}
	case isTimeout(err):
		return result{msg: fmt.Sprintf("still open after %s", took)}
	case took < env.readHeaderDeadline:
		return result{msg: fmt.Sprintf("closed after %s, before the read-header timeout", took)}
	}
	return result{msg: "closed after the read-header timeout"}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// tlsGet lists leads over TLS trusting caPEM; maxVersion caps the client's TLS version (0: none).
func (env *secEnv) tlsGet(t *testing.T, caPEM []byte, maxVersion uint16) result {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}}}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", env.tlsURL+"/v1/leads", nil)
	req.Header.Set("Authorization", "Bearer "+secReader)
	return send(t, c, req)
}

// flood sends 40 concurrent requests with the flood token (rate 1/s, burst 3) while the reader lists
// leads 20 times: every reader request must succeed, and at most the burst plus one refill of the
// flood's. It returns the flood's last refusal.
func (env *secEnv) flood(t *testing.T) result {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
		refused  result
		others   []int
	)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.ts.raw(t, "GET", "/v1/leads", secFlood, "", nil)
			mu.Lock()
			defer mu.Unlock()
			switch r.status {
			case 200:
				accepted++
			case 429:
				refused = r
			default:
				t.Errorf("flood: %d %s", r.status, r.msg)
			}
		}()
	}
	for range 20 {
		r := env.ts.raw(t, "GET", "/v1/leads", secReader, "", nil)
		others = append(others, r.status)
	}
	wg.Wait()
	for i, s := range others {
		if s != 200 {
			t.Errorf("the reader's request %d during the flood: %d", i, s)
		}
	}
	if accepted < 3 || accepted > 5 {
		t.Errorf("%d of the flood's 40 requests accepted, want the burst of 3 (plus a refill or two)", accepted)
	}
	if refused.retryAfter != "1" {
		t.Errorf("Retry-After %q, want 1 (second)", refused.retryAfter)
	}
	t.Logf("flood: %d of 40 accepted; the other token: %d of %d succeeded", accepted, count(others, 200), len(others))
	return refused
}

func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

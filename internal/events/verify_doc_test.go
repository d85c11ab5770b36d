package events_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/events"
)

// The receiver's side as docs/events.md prints it (TestDocsVerifySnippet keeps the two identical).

// BEGIN docs/events.md verify
// Verify checks a leadops event's Standard Webhooks signature. secret is the whsec_… string you
// configured, h the request's headers and body its raw body, before any JSON decoding.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return errors.New("the secret is not whsec_ and base64")
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return errors.New("no webhook-timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("webhook-timestamp too far from now: a replay?")
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", h.Get("webhook-id"), ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	// One signature per secret leadops holds: during a rotation any of them may be yours.
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

// END docs/events.md verify

func TestVerifySnippet(t *testing.T) {
	oldS := "whsec_" + base64.StdEncoding.EncodeToString([]byte("an-old-secret-of-32-bytes-length"))
	newS := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the-new-secret-also-32-bytes-lon"))
	var keys []events.Secret
	for _, s := range []string{oldS, newS} {
		k, err := events.ParseSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	now := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	body := []byte(`{"specversion":"1.0","id":"7"}`)
	h := http.Header{}
	h.Set(events.HeaderID, "7")
	h.Set(events.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(events.HeaderSignature, events.Sign("7", now.Unix(), body, keys))
	for _, tc := range []struct {
		name   string
		secret string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"old secret", oldS, body, now, true},
		{"new secret", newS, body, now.Add(4 * time.Minute), true},
		{"changed body", newS, append([]byte(" "), body...), now, false},
		{"replayed later", oldS, body, now.Add(6 * time.Minute), false},
		{"another secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("x-secret-of-thirty-two-bytes-xx!")), body, now, false},
	} {
		if err := Verify(tc.secret, h, tc.body, tc.now); (err == nil) != tc.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// block returns the lines between a line starting with begin and one starting with end.
func block(t *testing.T, path, begin, end string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, begin):
			in = true
		case in && strings.HasPrefix(line, end):
			return strings.TrimSpace(strings.Join(out, "\n"))
		case in:
			out = append(out, line)
		}
	}
	t.Fatalf("%s: no block from %q to %q", path, begin, end)
	return ""
}

// TestDocsVerifySnippet: the Go block docs/events.md prints under "Verifying a signature" is the
// tested Verify above, character for character.
func TestDocsVerifySnippet(t *testing.T) {
	code := block(t, "verify_doc_test.go", "// BEGIN docs/events.md verify", "// END docs/events.md verify")
	doc := block(t, "../../docs/events.md", "```go verify", "```")
	if doc != code {
		t.Errorf("docs/events.md's verification snippet differs from the tested one in verify_doc_test.go:\n--- doc\n%s\n--- tested\n%s", doc, code)
	}
}

// TestDocsSubscriptionExample: the subscription file docs/events.md prints is valid.
func TestDocsSubscriptionExample(t *testing.T) {
	if _, err := events.Parse([]byte(block(t, "../../docs/events.md", "```yaml subscriptions", "```"))); err != nil {
		t.Errorf("docs/events.md's subscription file: %v", err)
	}
}

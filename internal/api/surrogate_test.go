package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

func TestLoneSurrogate(t *testing.T) {
	cases := []struct {
		body string
		at   int64 // -1: none
	}{
		{`{"a":"\ud83d\ude00"}`, -1},        // a valid pair: 😀
		{`{"a":"\uD83D\uDE00"}`, -1},        // upper-case hex
		{`{"a":"\u00e9\\ud800"}`, -1},       // an escaped backslash, then text
		{`{"a":"\ud800"}`, 6},               // high alone
		{`{"a":"\ude00x"}`, 6},              // low alone
		{`{"a":"\ud83d\u0041"}`, 6},         // high followed by a non-surrogate
		{`{"a":"x\ud83d\ude00\udc00"}`, 19}, // a pair, then a lone low
		{`{"a":"\ud83d"}`, 6},               // high at the end of the string
	}
	for _, tc := range cases {
		off, found := loneSurrogate([]byte(tc.body))
		if (tc.at < 0) == found || found && off != tc.at {
			t.Errorf("loneSurrogate(%s) = %d, %v; want %d", tc.body, off, found, tc.at)
		}
	}
}

// TestLoneSurrogateRefused: the API refuses a lone surrogate escape with 422 and the field path, as it
// refuses invalid UTF-8, instead of storing U+FFFD.
func TestLoneSurrogateRefused(t *testing.T) {
	tokenPath := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenPath, []byte("t:"+overloadToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(&slowStore{}, Options{TokenFile: tokenPath, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/leads", strings.NewReader(`{"externalId":"L1","name":"Jo\udc00e"}`))
	req.Header.Set("Authorization", "Bearer "+overloadToken)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"path": "name"`) ||
		!strings.Contains(rec.Body.String(), "lone UTF-16 surrogate") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

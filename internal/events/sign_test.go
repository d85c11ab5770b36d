package events

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The example of the Standard Webhooks specification (spec/standard-webhooks.md, "Signature scheme",
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md), whose
// id, secret and body the reference Go library's tests use too.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustSecret(t *testing.T, s string) Secret {
	t.Helper()
	sec, err := ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret: %v", err)
	}
	return sec
}

func TestSignSpecVector(t *testing.T) {
	got := Sign(specID, specTimestamp, []byte(specBody), []Secret{mustSecret(t, specSecret)})
	if got != specSignature {
		t.Fatalf("Sign = %q, want the specification's %q", got, specSignature)
	}
}

// TestSignVerifiedByReference checks Sign against the reference Go library of Standard Webhooks, with
// two secrets as during a rotation: a receiver holding either one verifies, one holding neither does not.
func TestSignVerifiedByReference(t *testing.T) {
	oldSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("an-old-secret-of-32-bytes-length"))
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the-new-secret-also-32-bytes-lon"))
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("someone-else-entirely-32-bytes!!"))
	body := []byte(`{"specversion":"1.0","id":"42"}`)
	ts := time.Now().Unix()
	h := http.Header{}
	h.Set(HeaderID, "42")
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign("42", ts, body, []Secret{mustSecret(t, oldSecret), mustSecret(t, newSecret)}))
	if n := len(strings.Fields(h.Get(HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures, want one per secret", n)
	}
	for _, tc := range []struct {
		secret string
		ok     bool
	}{{oldSecret, true}, {newSecret, true}, {other, false}} {
		wh, err := standardwebhooks.NewWebhook(tc.secret)
		if err != nil {
			t.Fatal(err)
		}
		err = wh.Verify(body, h)
		if (err == nil) != tc.ok {
			t.Errorf("reference Verify = %v, want ok=%v", err, tc.ok)
		}
		if err := wh.Verify(append(body, ' '), h); err == nil {
			t.Error("a changed body verified")
		}
	}
}

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{specSecret, true},
		{"  " + specSecret + "\n", true}, // as a Secret file often ends
		{strings.TrimPrefix(specSecret, "whsec_"), false},
		{"whsec_not base64!", false},
		{"whsec_" + base64.StdEncoding.EncodeToString([]byte("too-short")), false},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), false},
		{"", false},
	} {
		_, err := ParseSecret(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSecret(#%d) = %v, want ok=%v", len(tc.in), err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrBadSecret) || strings.Contains(err.Error(), "MfKQ")) {
			t.Errorf("error %q must be ErrBadSecret and never quote the secret", err)
		}
	}
}

// Package hubspot is leadops' inbound HubSpot adapter: it verifies webhook deliveries (app webhook
// subscriptions and workflow "Send a webhook" actions), reads the contacts they name from the CRM API
// and hands their current values to crm.Ingest.
package hubspot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/crm"
)

// Headers HubSpot signs requests with.
const (
	HeaderSignatureV3      = "X-HubSpot-Signature-v3"
	HeaderRequestTimestamp = "X-HubSpot-Request-Timestamp"
	HeaderSignature        = "X-HubSpot-Signature"
	HeaderSignatureVersion = "X-HubSpot-Signature-Version"
)

// MaxSignatureAge is how old a v3-signed request may be (HubSpot: reject if older than 5 minutes).
// A timestamp as far in the future is refused too: it would stay replayable for longer.
const MaxSignatureAge = 5 * time.Minute

// uriDecoder undoes the percent-encodings HubSpot decodes before signing the request URI (v3): it
// signs ":" "/" "?" "@" "!" "$" "'" "(" ")" "*" "," ";" in the clear. Only these are decoded;
// anything else stays as sent.
var uriDecoder = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$", "%27", "'",
	"%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";",
)

// SignedURI is the request URI as v3 signs it.
func SignedURI(uri string) string { return uriDecoder.Replace(uri) }

// SignV3 computes X-HubSpot-Signature-v3: base64(HMAC-SHA256(clientSecret, method + uri + body +
// timestamp)). Exported for test fixtures and for checking a captured request by hand.
func SignV3(clientSecret, method, uri string, body []byte, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(clientSecret))
	mac.Write([]byte(method + SignedURI(uri)))
	mac.Write(body)
	mac.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyV3 checks a v3 signature and its timestamp (milliseconds since the epoch) against now. Errors
// wrap crm.ErrUnauthenticated and say what to check, never the secret or the expected value.
func VerifyV3(clientSecret, method, uri string, body []byte, timestamp, signature string, now time.Time) error {
	if signature == "" || timestamp == "" {
		return fmt.Errorf("%w: %s and %s are required", crm.ErrUnauthenticated, HeaderSignatureV3, HeaderRequestTimestamp)
	}
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not milliseconds since the epoch", crm.ErrUnauthenticated, HeaderRequestTimestamp)
	}
	age := now.Sub(time.UnixMilli(ms))
	if age > MaxSignatureAge || age < -MaxSignatureAge {
		return fmt.Errorf("%w: the request timestamp is %s away from the server's clock, more than %s",
			crm.ErrUnauthenticated, age.Round(time.Second), MaxSignatureAge)
	}
	want := SignV3(clientSecret, method, uri, body, timestamp)
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return fmt.Errorf("%w: the v3 signature does not match: check the app's client secret and that "+
			"inbound.publicURL is exactly the target URL configured in HubSpot", crm.ErrUnauthenticated)
	}
	return nil
}

// SignV2 computes the v2 X-HubSpot-Signature: hex(SHA-256(clientSecret + method + uri + body)).
func SignV2(clientSecret, method, uri string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(clientSecret + method + uri))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyV2 checks a v2 signature (no timestamp: replayable, so only when the connection allows it).
func VerifyV2(clientSecret, method, uri string, body []byte, signature string) error {
	if signature == "" {
		return fmt.Errorf("%w: %s is required", crm.ErrUnauthenticated, HeaderSignature)
	}
	want := SignV2(clientSecret, method, uri, body)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(signature))) {
		return fmt.Errorf("%w: the v2 signature does not match: check the app's client secret and inbound.publicURL",
			crm.ErrUnauthenticated)
	}
	return nil
}

package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Standard Webhooks headers (https://www.standardwebhooks.com/, spec "Signature scheme").
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts a Standard Webhooks secret: whsec_ then the key in standard base64.
const secretPrefix = "whsec_"

// Secret is a signing key.
type Secret []byte

// Minimum and maximum key lengths the spec recommends (24 to 64 bytes).
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// ErrBadSecret says a secret is not "whsec_" followed by 24 to 64 bytes in standard base64. It never
// quotes the secret.
var ErrBadSecret = errors.New("a signing secret must be whsec_ followed by 24 to 64 bytes in standard base64")

// ParseSecret reads a "whsec_<base64>" secret (surrounding white space ignored).
func ParseSecret(s string) (Secret, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), secretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Sign returns the webhook-signature header value for message id sent at unix time ts with body: one
// "v1,<base64 HMAC-SHA256 of id.ts.body>" per secret, space-separated, so a receiver that knows any of
// them (the old or the new one during a rotation) verifies the message.
func Sign(id string, ts int64, body []byte, secrets []Secret) string {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		mac := hmac.New(sha256.New, s)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(strconv.FormatInt(ts, 10)))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

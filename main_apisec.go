package main

import (
	"flag"
	"strconv"

	"github.com/leadops/leadops/internal/api"
)

// The API's transport security and per-token rate limits (docs/tokens.md, config/tls/).
var apiSec struct {
	tlsCert, tlsKey string
	rateLimit       float64
	rateBurst       int
}

// Defaults of --api-rate-limit and --api-rate-burst: generous for a form handler or a rep's leadctl,
// and a batch import of 1,000 leads a request still moves 50,000 leads a second; a runaway client is
// held to it without slowing the others.
const (
	defaultAPIRateLimit = 50
	defaultAPIRateBurst = 100
)

func init() {
	flag.StringVar(&apiSec.tlsCert, "api-tls-cert", envOr("LEADOPS_API_TLS_CERT", ""),
		"PEM certificate (chain) the HTTP API serves; with --api-tls-key the API speaks HTTPS only, TLS 1.2 or later. Re-read when the file changes (cert-manager renewals need no restart). Empty: plain HTTP.")
	flag.StringVar(&apiSec.tlsKey, "api-tls-key", envOr("LEADOPS_API_TLS_KEY", ""), "PEM private key of --api-tls-cert.")
	flag.Float64Var(&apiSec.rateLimit, "api-rate-limit", envFloatOr("LEADOPS_API_RATE_LIMIT", defaultAPIRateLimit),
		"Requests per second each API token may make (a token bucket per token, so one client's flood does not slow the others; over it: 429 with Retry-After). A token's line in the token file may set its own rate= and burst=. 0: no default limit.")
	flag.IntVar(&apiSec.rateBurst, "api-rate-burst", defaultAPIRateBurst, "Requests each API token may make at once above --api-rate-limit (the bucket size).")
}

// withAPISecurity adds the TLS files and rate limits of the flags to the API's options.
func withAPISecurity(o api.Options) api.Options {
	o.TLSCertFile, o.TLSKeyFile = apiSec.tlsCert, apiSec.tlsKey
	o.RateLimit, o.RateBurst = apiSec.rateLimit, apiSec.rateBurst
	return o
}

func envFloatOr(key string, def float64) float64 {
	if v, err := strconv.ParseFloat(envOr(key, ""), 64); err == nil {
		return v
	}
	return def
}

package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

// DefaultTLSWatchInterval is how often the certificate files are re-read when Options.TLSWatchInterval
// is zero, besides the file-system notifications certwatcher also listens to: a kubelet Secret volume
// swaps a symlink, which notifications can miss.
const DefaultTLSWatchInterval = 10 * time.Second

// certs serves the API's certificate from files that cert-manager (or anyone) rewrites: controller-
// runtime's certwatcher re-reads the pair when the files change, and every new TLS handshake gets the
// current one, so a renewed certificate is used without a restart and open connections are not cut.
type certs struct {
	w *certwatcher.CertWatcher
}

// newCerts reads the pair once, so a wrong path or a key that does not match its certificate stops the
// server at start instead of failing every handshake.
func newCerts(certFile, keyFile string, interval time.Duration) (*certs, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("api: TLS needs both a certificate and a key file (--api-tls-cert and --api-tls-key)")
	}
	if interval <= 0 {
		interval = DefaultTLSWatchInterval
	}
	w, err := certwatcher.New(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("api: load the TLS certificate and key: %w", err)
	}
	return &certs{w: w.WithWatchInterval(interval)}, nil
}

// config is the server's TLS configuration: TLS 1.2 or later (1.0 and 1.1 are broken and deprecated by
// RFC 8996), Go's default cipher suites, which for 1.2 are the forward-secret AEAD ones.
func (c *certs) config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.w.GetCertificate}
}

// watch re-reads the files until ctx ends.
func (c *certs) watch(ctx context.Context) error { return c.w.Start(ctx) }

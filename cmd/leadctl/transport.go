package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// apiHTTPClient checks the --server URL and builds the HTTP client that talks to it. Every request
// carries the token, so leadctl refuses to send it in the clear over a network: plain http:// is
// accepted for a loopback server (a laptop, a port-forward) and otherwise only with --insecure. For
// https://, --ca-file names the CA bundle that signed the server's certificate (a private CA such as
// cert-manager's); without it the system roots are used. Verification is never switched off.
func apiHTTPClient(server, caFile string, insecure bool) (*http.Client, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("--server %q is not an http:// or https:// URL such as https://leads.example.com", server)
	}
	switch {
	case u.Scheme == "http" && !isLoopback(u.Hostname()) && !insecure:
		return nil, fmt.Errorf("refusing to send the API token over plain HTTP to %s: use https:// "+
			"(with --ca-file if a private CA signed the server's certificate), or pass --insecure if the network "+
			"between you is trusted", u.Host)
	case u.Scheme == "http" && caFile != "":
		return nil, errors.New("--ca-file is for https:// servers; this --server is plain http://")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read the --ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the --ca-file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: tr}, nil
}

// isLoopback says whether host is this machine: localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
)

func TestAPIHTTPClientRefusesPlainHTTPOffThisMachine(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	write(t, garbage, "not a certificate\n")
	for _, tc := range []struct {
		server, caFile string
		insecure       bool
		err            string
	}{
		{server: "http://127.0.0.1:8082"},
		{server: "http://127.9.9.9:8082"},
		{server: "http://localhost:8082"},
		{server: "http://api.localhost"},
		{server: "http://[::1]:8082"},
		{server: "https://leads.example.com"},
		{server: "https://leads.example.com", caFile: garbage, err: "holds no PEM certificate"},
		{server: "https://leads.example.com", caFile: filepath.Join(dir, "missing.pem"), err: "read the --ca-file"},
		{server: "http://leads.example.com:8082", err: "refusing to send the API token over plain HTTP to leads.example.com:8082"},
		{server: "http://10.0.0.7:8082", err: "use https://"},
		{server: "http://localhost.example.com", err: "plain HTTP"},
		{server: "http://leads.example.com:8082", insecure: true},
		{server: "http://127.0.0.1:8082", caFile: garbage, err: "--ca-file is for https:// servers"},
		{server: "leads.example.com", err: "is not an http:// or https:// URL"},
		{server: "ftp://leads.example.com", err: "is not an http:// or https:// URL"},
	} {
		_, err := apiHTTPClient(tc.server, tc.caFile, tc.insecure)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.server, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s (ca %q, insecure %v): %v, want %q", tc.server, tc.caFile, tc.insecure, err, tc.err)
		}
	}
}

// TestCAFileVerifiesTheServer runs leadctl against an HTTPS API: with the CA that signed the server's
// certificate it works, without it (the system roots) or with another CA it fails on verification.
func TestCAFileVerifiesTheServer(t *testing.T) {
	h := newHarness(t)
	tokens := filepath.Join(h.dir, "server-tokens")
	srv, err := api.NewServer(h.st, api.Options{TokenFile: tokens})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)
	caFile, otherCA := filepath.Join(h.dir, "ca.pem"), filepath.Join(h.dir, "other.pem")
	write(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})))
	write(t, otherCA, selfSignedCA(t))
	token := h.connArgs[3]
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr string
	}{
		{"the right CA", []string{"--ca-file", caFile}, nil, exitOK, ""},
		{"the right CA from the environment", nil, map[string]string{"LEADCTL_CA_FILE": caFile}, exitOK, ""},
		{"the system roots", nil, nil, exitError, "not signed by a CA leadctl trusts: pass --ca-file CA.pem"},
		{"another CA", []string{"--ca-file", otherCA}, nil, exitError, "certificate signed by unknown authority"},
		{"--insecure does not skip verification", []string{"--insecure"}, nil, exitError, "certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"list", "--server", ts.URL, "--token-file", token}, tc.args...)
			code, stdout, stderr := leadctl(t, tc.env, args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d; stderr %q, want %q; stdout %q", code, tc.code, stderr, tc.stderr, stdout)
			}
		})
	}
}

// selfSignedCA returns the PEM of a new CA certificate: one that signed nothing the server holds.
func selfSignedCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

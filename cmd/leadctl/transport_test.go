package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
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

// TestServeTLS runs `leadctl serve --tls-cert --tls-key` and talks to it with `leadctl --ca-file`.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	tokens, clientToken := filepath.Join(dir, "tokens"), filepath.Join(dir, "token")
	write(t, tokens, "ci:serve-tls-token-123456 scopes=leads:read\n")
	write(t, clientToken, "serve-tls-token-123456\n")
	// httptest's certificate (for 127.0.0.1, self-signed) serves as the server's and as the CA.
	donor := httptest.NewTLSServer(nil)
	donor.Close()
	pair := donor.TLS.Certificates[0]
	keyDER, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]})))
	write(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a tiny race with other processes for this port; acceptable in a test

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut strings.Builder
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--store", "sqlite://" + filepath.Join(dir, "leads.db"),
			"--token-file", tokens, "--tls-cert", certFile, "--tls-key", keyFile},
			env{stdout: io.Discard, stderr: &syncWriter{w: &errOut}, getenv: func(string) string { return "" }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exited %d: %s", code, errOut.String())
		}
	}()
	var code int
	var stdout, stderr string
	for range 200 {
		code, stdout, stderr = leadctl(t, nil, "list", "--server", "https://"+addr, "--token-file", clientToken, "--ca-file", certFile)
		if code == exitOK {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != exitOK || !strings.Contains(stdout, "0 leads") {
		t.Fatalf("list over TLS: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := leadctl(t, nil, "list", "--server", "http://"+addr, "--token-file", clientToken); code == exitOK {
		t.Errorf("plain HTTP to the TLS server succeeded: %s", stderr)
	}
}

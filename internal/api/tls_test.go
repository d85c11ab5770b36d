package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
)

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "leadops test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a server certificate for 127.0.0.1 and localhost, signed by ca, to certFile and keyFile.
// The files are replaced by rename, as cert-manager's Secret updates land atomically.
func (ca *testCA) issue(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "leadops-api"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(path string, b []byte) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	write(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// startTLSServer serves st over HTTPS on 127.0.0.1 with tokenPath's tokens and a certificate from a
// new CA; it returns the CA's PEM and the base URL.
func startTLSServer(t *testing.T, st store.Backend, tokenPath string) (caPEM []byte, url string) {
	t.Helper()
	ca := newCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.issue(t, certFile, keyFile)
	return ca.pem, serveTLS(t, st, api.Options{TokenFile: tokenPath, TokenReloadInterval: 20 * time.Millisecond,
		TLSCertFile: certFile, TLSKeyFile: keyFile, TLSWatchInterval: 50 * time.Millisecond})
}

func serveTLS(t *testing.T, st store.Backend, opts api.Options) string {
	t.Helper()
	srv, err := api.NewServer(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("TLS server stopped with %v", err)
		}
	})
	return "https://" + ln.Addr().String()
}

// TestTLSCertificateRotation replaces the certificate files with ones from another CA, as a
// cert-manager renewal with a new issuer would: new connections get the new certificate without a
// restart.
func TestTLSCertificateRotation(t *testing.T) {
	st := backends()[0].open(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("reader:"+secReader+" scopes=leads:read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	oldCA, newCA := newCA(t), newCA(t)
	oldCA.issue(t, certFile, keyFile)
	env := &secEnv{tlsURL: serveTLS(t, st, api.Options{TokenFile: tokens, TLSCertFile: certFile, TLSKeyFile: keyFile,
		TLSWatchInterval: 50 * time.Millisecond})}
	if r := env.tlsGet(t, oldCA.pem, 0); r.status != 200 {
		t.Fatalf("before the rotation: %d %s", r.status, r.msg)
	}
	newCA.issue(t, certFile, keyFile)
	waitFor(t, "the rotated certificate", func() bool { return env.tlsGet(t, newCA.pem, 0).status == 200 })
	if r := env.tlsGet(t, oldCA.pem, 0); !strings.Contains(r.msg, "certificate signed by unknown authority") {
		t.Errorf("the old CA after the rotation: %d %s", r.status, r.msg)
	}
}

func TestTLSOptionsChecked(t *testing.T) {
	st := backends()[0].open(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("ops:x-token-0123456789 scopes=admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	newCA(t).issue(t, certFile, keyFile)
	for _, tc := range []struct {
		cert, key, want string
	}{
		{certFile, "", "needs both a certificate and a key file"},
		{"", keyFile, "needs both a certificate and a key file"},
		{filepath.Join(dir, "missing.crt"), keyFile, "load the TLS certificate and key"},
		{keyFile, certFile, "load the TLS certificate and key"},
	} {
		_, err := api.NewServer(st, api.Options{TokenFile: tokens, TLSCertFile: tc.cert, TLSKeyFile: tc.key})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cert %q key %q: %v, want %q", tc.cert, tc.key, err, tc.want)
		}
	}
}

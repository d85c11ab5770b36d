package events

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/fielderr"
)

func fieldPaths(err error) []string {
	var l fielderr.List
	if !errors.As(err, &l) {
		return nil
	}
	var out []string
	for _, e := range l {
		out = append(out, e.Path)
	}
	return out
}

func TestParseValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		yaml  string
		paths []string
	}{
		{"valid", `
source: /leadops/prod-eu
subscriptions:
- name: crm-sync
  url: https://hooks.example.com/leadops
  secretFiles: [/etc/s/a]
  types: [routed, io.leadops.lead.breached]
  policies: [sales/inbound]
  personalData: true
- name: audit
  urlFile: /etc/s/url
  secretFiles: [/etc/s/a, /etc/s/b]
`, nil},
		{"every problem with its path", `
source: "not a uri"
subscriptions:
- name: Bad_Name
  secretFiles: []
  types: [routed, updated]
  policies: [inbound]
- name: tok
  url: https://hooks.example.com/x?token=s3cret
  secretFiles: [""]
- name: tok
  url: ftp://x
  urlFile: /a
  secretFiles: [/a]
`, []string{"source", "subscriptions[0].name", "subscriptions[0].url", "subscriptions[0].secretFiles",
			"subscriptions[0].types[1]", "subscriptions[0].policies[0]", "subscriptions[1].url",
			"subscriptions[1].secretFiles[0]", "subscriptions[2].name", "subscriptions[2].urlFile"}},
		{"userinfo is a token too", `
subscriptions:
- name: a
  url: https://user:pass@hooks.example.com/
  secretFiles: [/a]
`, []string{"subscriptions[0].url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if got := fieldPaths(err); !reflect.DeepEqual(got, tc.paths) {
				t.Fatalf("paths = %v, want %v (err %v)", got, tc.paths, err)
			}
			if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pass@")) {
				t.Errorf("error quotes a secret: %v", err)
			}
		})
	}
	if _, err := Parse([]byte("subscriptions:\n- name: a\n  secret: x\n")); err == nil {
		t.Error("an unknown field (an inline secret) was accepted")
	}
}

func TestResolve(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef01234567"))
	files := map[string]string{
		"/s/url":    "https://hooks.example.com/in?token=abc\n",
		"/s/secret": secret + "\n",
		"/s/bad":    "not-a-secret",
	}
	read := func(name string) ([]byte, error) {
		if v, ok := files[name]; ok {
			return []byte(v), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := Parse([]byte(`
subscriptions:
- name: a
  urlFile: /s/url
  secretFiles: [/s/secret]
  types: [io.leadops.lead.routed, breached, routed]
- name: b
  url: https://hooks.example.com/b
  secretFiles: [/s/missing, /s/bad]
`))
	if err != nil {
		t.Fatal(err)
	}
	subs, err := f.Resolve(read)
	if got := fieldPaths(err); !reflect.DeepEqual(got, []string{"subscriptions[1].secretFiles[0]", "subscriptions[1].secretFiles[1]"}) {
		t.Fatalf("paths = %v (%v)", got, err)
	}
	if strings.Contains(err.Error(), "not-a-secret") {
		t.Errorf("error quotes a file's content: %v", err)
	}
	if len(subs) != 1 || subs[0].Name != "a" || subs[0].URL.Query().Get("token") != "abc" || subs[0].Source != DefaultSource ||
		!reflect.DeepEqual(subs[0].Types, []string{"breached", "routed"}) || len(subs[0].Secrets) != 1 {
		t.Fatalf("subs = %+v", subs)
	}
	a := subs[0]
	b := a
	b.Secrets = []Secret{mustSecret(t, specSecret)}
	if a.Target() != b.Target() || a.Fingerprint() == b.Fingerprint() {
		t.Error("a secret rotation must change the Fingerprint (restart) but not the Target (re-enable)")
	}
	b.PersonalData = true
	if a.Target() == b.Target() {
		t.Error("personalData must change the Target")
	}
	if !a.Wants("routed") || a.Wants("created") {
		t.Error("Wants")
	}
}

package crm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
)

func TestLiveKeepsLastGoodConfiguration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.yaml")
	write := func(doc string) {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("connections: [{name: a, crm: HubSpot, credentialsDir: /x}]\n")
	l, err := NewLive(path, 0, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if l.Current().Connection("a") == nil {
		t.Fatal("initial configuration")
	}
	if l.Reload() {
		t.Error("an unchanged file reloaded")
	}
	write("connections: [{name: b, crm: Salesforce, credentialsDir: /y}]\n")
	if !l.Reload() || l.Current().Connection("b") == nil || l.Current().Connection("a") != nil {
		t.Error("a valid change did not take effect")
	}
	write("connections: [{name: B!, crm: Zoho}]\n")
	if l.Reload() || l.Current().Connection("b") == nil {
		t.Error("an invalid change replaced the last good configuration")
	}
	write("connections: [{name: c, crm: HubSpot}]\n") // invalid at start: an error
	if _, err := NewLive(path, 0, logr.Discard()); err == nil {
		t.Error("an invalid file loaded at start")
	}
}

package events

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// TestServiceReload: the Service starts the file's subscriptions, keeps them through a broken edit,
// starts an added one and stops a removed one, re-reading the file as a ConfigMap volume updates it.
func TestServiceReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		// Write then rename, as the kubelet swaps a volume's content.
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	ra, rb := newReceiver(t, nil), newReceiver(t, nil)
	write("secret", secretA+"\n")
	write("b-url", rb.URL+"/hook?token=t0ken\n")
	file := func(subs ...string) string {
		s := "source: /leadops/test\nsubscriptions:\n"
		for _, name := range subs {
			switch name {
			case "a":
				s += fmt.Sprintf("- name: a\n  url: %s/hook\n  secretFiles: [%s]\n", ra.URL, filepath.Join(dir, "secret"))
			case "b":
				s += fmt.Sprintf("- name: b\n  urlFile: %s\n  secretFiles: [%s]\n  types: [touched]\n", filepath.Join(dir, "b-url"), filepath.Join(dir, "secret"))
			}
		}
		return s
	}
	write("subs.yaml", file("a"))

	feed := newMemFeed()
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	o := testOptions(&sleeps{})
	svc := NewService(filepath.Join(dir, "subs.yaml"), feed, feed, o, nil, 10e6)
	if !svc.NeedLeaderElection() {
		t.Fatal("the Service must run on the leader only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Start(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "a's first delivery", func() bool { return len(ra.acknowledged()) == 1 })

	write("subs.yaml", "subscriptions: [ {name: BROKEN")
	waitFor(t, "the config error gauge", func() bool { return testutil.ToFloat64(o.Metrics.ConfigErrors) == 1 })
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	waitFor(t, "a delivering through the broken edit", func() bool { return len(ra.acknowledged()) == 2 })

	write("subs.yaml", file("a", "b"))
	waitFor(t, "b delivering from the start", func() bool { return len(rb.acknowledged()) == 2 })
	if testutil.ToFloat64(o.Metrics.ConfigErrors) != 0 {
		t.Error("config error gauge still set")
	}
	if q := rb.requests()[0]; q.header.Get(HeaderID) != "1" {
		t.Errorf("b's first event %s", q.header.Get(HeaderID))
	}

	write("subs.yaml", file("b"))
	waitFor(t, "a's gauges to be dropped", func() bool { return testutil.CollectAndCount(o.Metrics.Lag) == 1 })
	feed.add(store.AuditEvent{LeadID: leadID, At: testNow, Actor: "alice", Type: lead.EventTouched})
	waitFor(t, "b's third delivery", func() bool { return len(rb.acknowledged()) == 3 })
	if n := len(ra.acknowledged()); n != 2 {
		t.Errorf("removed subscription a delivered %d events, want 2", n)
	}
}

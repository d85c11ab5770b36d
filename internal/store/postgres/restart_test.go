package postgres

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

// TestListenerSurvivesServerRestart stops the whole server (fast shutdown, as a restart or failover
// does) for a few seconds: the store answers with errors Classify calls outages meanwhile, the
// LISTEN connection comes back on its own within a bounded time after the server, a change
// committed before it is back arrives through the replay, and later changes through NOTIFY.
func TestListenerSurvivesServerRestart(t *testing.T) {
	srv := pgtest.StartDedicated(t)
	dsn := srv.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writer, err := Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	ch, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	_, _, err = writer.UpsertLead(ctx, store.LeadInput{ExternalID: "down"}, "test")
	if err == nil {
		t.Fatal("a write succeeded while the server was down")
	}
	if o := store.Classify(err); o != store.Unreachable {
		t.Fatalf("a write to a stopped server: %v, classified %v; want Unreachable", err, o)
	}
	if err := s.Ping(ctx); store.Classify(err) != store.Unreachable {
		t.Fatalf("Ping on a stopped server: %v; want an Unreachable outage", err)
	}
	time.Sleep(4 * time.Second) // long enough for the listener's backoff to grow to its cap
	if err := srv.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	// The first write after the return may meet a pooled connection the restart broke; a client
	// retries (the API answers 503), so the test does too, bounded.
	var during string
	for deadline := time.Now().Add(10 * time.Second); ; {
		l, _, err := writer.UpsertLead(ctx, store.LeadInput{ExternalID: "while-listener-away"}, "test")
		if err == nil {
			during = l.ID
			break
		}
		if time.Now().After(deadline) || !store.Unavailable(err) {
			t.Fatalf("writing after the server's return: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	missedByListen := s.listener.backendPID() == 0
	expectChange(t, ch, during)
	for s.listener.backendPID() == 0 {
		if time.Since(back) > 10*time.Second {
			t.Fatal("the listener did not reconnect within 10s of the server's return")
		}
		time.Sleep(10 * time.Millisecond)
	}
	reconnect := time.Since(back)
	t.Logf("LISTEN re-established %v after the server's return (change committed before it: delivered by replay=%v)", reconnect.Round(time.Millisecond), missedByListen)
	if reconnect > maxListenBackoff+3*time.Second {
		t.Fatalf("reconnect took %v; the backoff cap is %v", reconnect, maxListenBackoff)
	}
	after, _, err := writer.UpsertLead(ctx, store.LeadInput{ExternalID: "after"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, after.ID)
}

// TestSilentServerFailsFast: a server that accepts connections but never answers (a half-dead host,
// a blackholed route) fails a connection attempt after the default connect timeout, with an error
// Classify calls an outage, instead of holding the caller for the kernel's TCP timeout.
func TestSilentServerFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	began := time.Now()
	_, err = Open(context.Background(), "postgres://leadops@"+ln.Addr().String()+"/leadops?sslmode=disable", store.Options{})
	took := time.Since(began)
	if err == nil {
		t.Fatal("opened a store on a server that never answers")
	}
	if took > defaultConnectTimeout+3*time.Second {
		t.Fatalf("gave up after %v; want about the %v connect timeout", took, defaultConnectTimeout)
	}
	if o := store.Classify(err); o != store.Unreachable {
		t.Fatalf("%v classified %v; want Unreachable", err, o)
	}
	t.Logf("a silent server fails the connection after %v", took.Round(time.Millisecond))
}

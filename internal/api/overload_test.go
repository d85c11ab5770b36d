package api

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const overloadToken = "s3cret-overload-token-0123456789"

// slowStore is a store whose upserts take hold time, counting how many run at once.
type slowStore struct {
	Store
	hold    time.Duration
	running atomic.Int64
	peak    atomic.Int64
}

func (s *slowStore) UpsertLead(ctx context.Context, in store.LeadInput, _ string) (*lead.Lead, bool, error) {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	select {
	case <-time.After(s.hold):
	case <-ctx.Done():
	}
	return &lead.Lead{ID: "l-" + in.ExternalID, ExternalID: in.ExternalID, Stage: lead.StageNew}, true, nil
}

// serveOverload runs a Server for st on 127.0.0.1 with the given limits until the test ends.
func serveOverload(t *testing.T, st Store, maxInFlight int, wait time.Duration) (*Server, string) {
	t.Helper()
	tokenPath := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenPath, []byte("load:"+overloadToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(st, Options{TokenFile: tokenPath, MaxBodyBytes: 2 << 20, Logger: logr.Discard(),
		MaxInFlight: maxInFlight, MaxQueueWait: wait})
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
			t.Errorf("server stopped with %v", err)
		}
	})
	return srv, "http://" + ln.Addr().String()
}

func postLead(c *http.Client, url string, body io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/v1/leads", body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+overloadToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// TestOverloadFloodGets503WithRetryAfter floods the API with slow writes: never more than
// MaxInFlight reach the store at once, the excess is answered 503 with Retry-After and the documented
// JSON error (never a hang, never a 500), reads pass beside the flood, and the server's goroutines
// return to where they were once the flood ends.
func TestOverloadFloodGets503WithRetryAfter(t *testing.T) {
	st := &slowStore{hold: 300 * time.Millisecond}
	const limit, flood = 4, 64
	srv, url := serveOverload(t, st, limit, 50*time.Millisecond)
	before := runtime.NumGoroutine()
	tr := &http.Transport{MaxIdleConnsPerHost: flood}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b, err := postLead(c, url, strings.NewReader(`{"externalId":"L`+string(rune('A'+i%26))+`"}`))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode == http.StatusServiceUnavailable {
				if ra := resp.Header.Get("Retry-After"); ra != "1" {
					t.Errorf("503 with Retry-After %q, want 1", ra)
				}
				var eb ErrorBody
				if err := json.Unmarshal(b, &eb); err != nil || !strings.Contains(eb.Error, "--api-max-inflight") {
					t.Errorf("503 body %q is not the documented error naming --api-max-inflight", b)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d concurrent writes, limit %d: %v in %s; store peak concurrency %d", flood, limit, statuses, elapsed, st.peak.Load())
	if p := st.peak.Load(); p > limit {
		t.Errorf("%d writes reached the store at once, limit %d", p, limit)
	}
	if statuses[http.StatusCreated] < limit || statuses[http.StatusServiceUnavailable] == 0 ||
		statuses[http.StatusCreated]+statuses[http.StatusServiceUnavailable] != flood {
		t.Errorf("statuses %v: want at least %d 201s, some 503s and nothing else", statuses, limit)
	}
	if got := srv.overload.rejected.Load(); got != int64(statuses[http.StatusServiceUnavailable]) {
		t.Errorf("server counted %d rejections, clients saw %d", got, statuses[http.StatusServiceUnavailable])
	}
	// Every request was answered within its slot time plus the queue wait, in rounds of the limit.
	if elapsed > 5*time.Second {
		t.Errorf("the flood took %s to answer", elapsed)
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Errorf("%d goroutines after the flood, %d before", n, before)
	}
}

// slowBody streams a JSON lead with a padded attribute of size bytes in chunks, pausing between them,
// without holding the body in memory: a slow client uploading a large request.
type slowBody struct {
	prefix, suffix string
	pad            int
	pause          time.Duration
	sent           int
}

func (b *slowBody) Read(p []byte) (int, error) {
	total := len(b.prefix) + b.pad + len(b.suffix)
	if b.sent >= total {
		return 0, io.EOF
	}
	if b.sent > 0 && b.pause > 0 {
		time.Sleep(b.pause)
	}
	n := 0
	for n < len(p) && n < 64<<10 && b.sent < total {
		switch i := b.sent; {
		case i < len(b.prefix):
			p[n] = b.prefix[i]
		case i < len(b.prefix)+b.pad:
			p[n] = 'a'
		default:
			p[n] = b.suffix[i-len(b.prefix)-b.pad]
		}
		n++
		b.sent++
	}
	return n, nil
}

// TestOverloadBoundsMemory sends many large, slowly uploaded writes at once. Unbounded, the server
// would hold every body (128 × 1 MiB, read into a growing buffer and decoded); with the limit it holds
// at most MaxInFlight of them, and the rest are refused before their bodies are read. The peak heap
// during the flood is the check.
func TestOverloadBoundsMemory(t *testing.T) {
	const limit, flood, size = 4, 128, 1 << 20
	srv, url := serveOverload(t, &slowStore{}, limit, 20*time.Millisecond)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
		}
	}()
	c := &http.Client{Timeout: 20 * time.Second}
	var wg sync.WaitGroup
	var answered, refused atomic.Int64
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := &slowBody{prefix: `{"externalId":"L` + string(rune('A'+i%26)) + `","attributes":{"pad":"`, suffix: `"}}`,
				pad: size, pause: 2 * time.Millisecond}
			resp, _, err := postLead(c, url, body)
			if err != nil {
				// The server answered 503 and closed the connection while the body was still being
				// sent; some clients see only the reset.
				refused.Add(1)
				return
			}
			answered.Add(1)
			if resp.StatusCode == http.StatusServiceUnavailable {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	growth := int64(peak.Load()) - int64(base)
	t.Logf("%d writes of 1 MiB, limit %d: %d answered, %d refused (server counted %d); heap peak %.1f MiB over the start",
		flood, limit, answered.Load(), refused.Load(), srv.overload.rejected.Load(), float64(growth)/(1<<20))
	if srv.overload.rejected.Load() == 0 {
		t.Fatal("no write was refused: the flood did not reach the limit")
	}
	// Unbounded, 128 bodies of 1 MiB would hold over 128 MiB on the server alone; bounded, a few
	// bodies with their read buffers and decoded copies, plus the clients' 64 KiB chunks.
	if max := int64(48 << 20); growth > max {
		t.Errorf("heap grew by %.1f MiB during the flood, over %d MiB: the bodies are not bounded", float64(growth)/(1<<20), max>>20)
	}
}

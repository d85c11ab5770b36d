package api_test

// The served side of the load benchmarks runs in a process of its own, so that the resident memory
// they report is the server's (API + routing pass) and not the load generator's: vegeta's workers and
// results live in the benchmark's process. The child is this test binary again (the usual Go helper
// process pattern), started with -test.run selecting TestLoadServerProcess and the store's DSN in the
// environment. It prints "listening <addr>" when it serves, serves until its stdin closes (the
// benchmark closes it, or dies) or it gets SIGINT/SIGTERM, then prints "routed <decisions> <failed
// passes>" and exits.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
	"github.com/leadops/leadops/internal/testutil/syncbuf"
)

const (
	// loadServeDSNEnv holds the store the child serves; unset, TestLoadServerProcess does nothing.
	loadServeDSNEnv = "LEADOPS_LOAD_SERVE_DSN"
	// loadHeapProfileEnv, set on the benchmark, names a directory: each child writes a heap profile
	// there (named after its benchmark) every time its RSS reaches a new high, so the file left is the
	// heap at about the peak. For `go tool pprof -sample_index=inuse_space`.
	loadHeapProfileEnv = "LEADOPS_LOAD_HEAP_PROFILE"
	// loadHeapFileEnv is the profile file of one child (set by the benchmark from loadHeapProfileEnv).
	loadHeapFileEnv = "LEADOPS_LOAD_HEAP_FILE"
)

// TestLoadServerProcess is not a test of its own: it is the server process of BenchmarkAPILoad and
// BenchmarkAPIMillionLeads, and is skipped unless one of them starts it.
func TestLoadServerProcess(t *testing.T) {
	dsn := os.Getenv(loadServeDSNEnv)
	if dsn == "" {
		t.Skip("the load benchmarks' server process: runs only when a benchmark starts it")
	}
	st, err := storeopen.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tokenPath := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenPath, []byte("load:"+tokenHubspot+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// No per-token rate limit: the load is one client.
	srv, err := api.NewServer(st, api.Options{TokenFile: tokenPath, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	rl := startRouterLoop(t, st)
	if path := os.Getenv(loadHeapFileEnv); path != "" {
		go profileHeapAtPeaks(ctx, t, path)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	<-ctx.Done()
	rl.stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("serve: %v", err)
	}
	fmt.Printf("routed %d %d\n", rl.decided.Load(), rl.errs.Load())
}

// profileHeapAtPeaks rewrites the heap profile at path whenever this process's RSS passes its last
// high by 2 MiB or more. The profile is that of the last garbage collection, so close to the peak.
func profileHeapAtPeaks(ctx context.Context, t *testing.T, path string) {
	var high float64
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		rss := vmRSS(os.Getpid())
		if rss < high+2 {
			continue
		}
		high = rss
		var buf bytes.Buffer
		if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
			t.Errorf("heap profile: %v", err)
			return
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Errorf("heap profile: %v", err)
			return
		}
	}
}

// serverProc is a running TestLoadServerProcess.
type serverProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // its stdout after the "listening" line
	stderr *syncbuf.Buffer
	url    string
	once   sync.Once
	// Set by stop: the routing decisions made and the routing passes that failed.
	decided, errs int64
}

// startServerProcess starts the server process on the store at dsn and waits until it serves. It
// is stopped at cleanup at the latest.
func startServerProcess(b testing.TB, dsn string) *serverProc {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadServerProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), loadServeDSNEnv+"="+dsn)
	if dir := os.Getenv(loadHeapProfileEnv); dir != "" {
		name := strings.NewReplacer("/", "-", " ", "_").Replace(b.Name()) + ".pprof"
		cmd.Env = append(cmd.Env, loadHeapFileEnv+"="+filepath.Join(dir, name))
	}
	p := &serverProc{cmd: cmd, lines: make(chan string, 256), stderr: &syncbuf.Buffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start the server process: %v", err)
	}
	b.Cleanup(func() { p.stop(b) })
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	timeout := time.After(2 * time.Minute) // opening a million-lead store is not instant
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				b.Fatalf("the server process exited before serving: %s", p.stderr)
			}
			if addr, found := strings.CutPrefix(line, "listening "); found {
				p.url = "http://" + addr
				return p
			}
			b.Logf("server process: %s", line)
		case <-timeout:
			b.Fatalf("the server process did not serve within 2 minutes: %s", p.stderr)
		}
	}
}

func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// stop closes the process's stdin, waits for it to exit, and records its routing counts.
func (p *serverProc) stop(b testing.TB) {
	p.once.Do(func() {
		p.stdin.Close()
		exited := make(chan error, 1)
		go func() {
			// Read its stdout to the end before Wait, which would close the pipe under the reader.
			var rest []string
			for line := range p.lines {
				rest = append(rest, line)
			}
			for _, line := range rest {
				if f := strings.Fields(line); len(f) == 3 && f[0] == "routed" {
					p.decided, _ = strconv.ParseInt(f[1], 10, 64)
					p.errs, _ = strconv.ParseInt(f[2], 10, 64)
				} else if line != "PASS" {
					b.Logf("server process: %s", line)
				}
			}
			exited <- p.cmd.Wait()
		}()
		select {
		case err := <-exited:
			if err != nil {
				b.Errorf("the server process failed: %v: %s", err, p.stderr)
			}
		case <-time.After(time.Minute):
			_ = p.cmd.Process.Kill()
			<-exited
			b.Errorf("the server process did not stop within a minute of its stdin closing: %s", p.stderr)
		}
	})
}

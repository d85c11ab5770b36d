package api_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/sqlite"
)

// The disk-full scenario runs the API over a SQLite store in a child process (this test binary,
// re-run as TestDiskFullHelperProcess) whose file-size limit (RLIMIT_FSIZE) the test lowers and
// raises: a write past the limit fails with EFBIG exactly as it fails with ENOSPC on a full disk,
// on any machine and without root, a mount or a tmpfs. Lowering the limit of the test process
// itself would also starve every other file the process writes.
const diskFullHelperEnv = "LEADOPS_TEST_DISKFULL_HELPER_DIR"

// TestDiskFullHelperProcess is the child: it serves the API over dir/leads.db, prints the URL, then
// obeys "limit", "unlimit" and "exit" on stdin, answering "ok" to each.
func TestDiskFullHelperProcess(t *testing.T) {
	dir := os.Getenv(diskFullHelperEnv)
	if dir == "" {
		t.Skip("the child process of TestDiskFullSQLite; runs only when that test starts it")
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "leads.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, st, nil)
	fmt.Printf("url %s\n", ts.url)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch cmd := in.Text(); cmd {
		case "limit":
			// A little room above the largest file the store has, so the next writes run out.
			var largest int64
			for _, f := range []string{"leads.db", "leads.db-wal", "leads.db-shm"} {
				if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
					largest = max(largest, fi.Size())
				}
			}
			lim := syscall.Rlimit{Cur: uint64(largest + 128<<10), Max: math.MaxUint64}
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
				t.Fatalf("setrlimit: %v", err)
			}
		case "unlimit":
			lim := syscall.Rlimit{Cur: math.MaxUint64, Max: math.MaxUint64}
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
				t.Fatalf("setrlimit: %v", err)
			}
		case "exit":
			if err := st.Close(); err != nil {
				t.Fatalf("closing the store: %v", err)
			}
			fmt.Println("ok")
			return
		default:
			t.Fatalf("unknown command %q", cmd)
		}
		fmt.Println("ok")
	}
}

// diskFullChild drives the child process.
type diskFullChild struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	url   string
}

func (c *diskFullChild) send(cmd string) {
	c.t.Helper()
	if _, err := fmt.Fprintln(c.stdin, cmd); err != nil {
		c.t.Fatalf("child: %v", err)
	}
	for c.out.Scan() {
		if c.out.Text() == "ok" {
			return
		}
	}
	c.t.Fatalf("the child did not acknowledge %q", cmd)
}

// postBatch posts one batch and returns the status, Retry-After and error message.
func postBatch(t *testing.T, url string, leads []store.LeadInput) (int, string, string) {
	t.Helper()
	body, _ := json.Marshal(api.BatchRequest{Leads: leads})
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/leads/batch", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokenHubspot)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("posting a batch: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var eb api.ErrorBody
	_ = json.Unmarshal(raw, &eb)
	return resp.StatusCode, resp.Header.Get("Retry-After"), eb.Error
}

func diskFullBatch(n, size int) []store.LeadInput {
	var out []store.LeadInput
	for i := n * size; i < (n+1)*size; i++ {
		out = append(out, store.LeadInput{ExternalID: fmt.Sprintf("df-%06d", i), Score: 50,
			Company: "Company " + strings.Repeat("x", 150), Source: "disk-full-test"})
	}
	return out
}

// TestDiskFullSQLite: the SQLite store's disk fills up under a stream of writes. The API answers 503
// with Retry-After and a message naming the cause (never a 500), reads keep working, the file is not
// corrupted, every acknowledged lead is kept and a refused batch is all or nothing, and writes
// succeed again as soon as space returns.
func TestDiskFullSQLite(t *testing.T) {
	t.Run("file-size-limit", func(t *testing.T) {
		// The child lowers its own RLIMIT_FSIZE: writes past it fail with EFBIG.
		diskFullScenario(t, t.TempDir(), func(c *diskFullChild) { c.send("limit") }, func(c *diskFullChild) { c.send("unlimit") })
	})
	t.Run("tmpfs-full", func(t *testing.T) {
		// A real full file system (ENOSPC): a small tmpfs that a ballast file fills, as another
		// writer on a shared volume does; deleting the ballast gives the space back.
		dir := mountTmpfs(t, "24m")
		ballast := filepath.Join(dir, "ballast")
		diskFullScenario(t, dir, func(*diskFullChild) { fillDisk(t, ballast) }, func(*diskFullChild) {
			if err := os.Remove(ballast); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// mountTmpfs mounts a tmpfs of the given size for this test, or skips saying loudly why not.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("NOT RUN: a real full disk needs a small tmpfs, and mounting one needs root; the file-size-limit variant covers the same code path")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("NOT RUN: this machine refuses to mount a tmpfs (%v: %s); the file-size-limit variant covers the same code path", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// Whatever is left is smaller than a chunk: take it too.
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			return
		}
	}
}

func diskFullScenario(t *testing.T, dir string, fill, free func(*diskFullChild)) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullHelperProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), diskFullHelperEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c := &diskFullChild{t: t, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	for c.out.Scan() {
		if u, ok := strings.CutPrefix(c.out.Text(), "url "); ok {
			c.url = u
			break
		}
	}
	if c.url == "" {
		t.Fatalf("the child did not start its API:\n%s", stderr.String())
	}

	const size = 50
	acked := 0 // batches acknowledged, in order
	for ; acked < 10; acked++ {
		if st, _, msg := postBatch(t, c.url, diskFullBatch(acked, size)); st != http.StatusOK {
			t.Fatalf("batch %d before the limit: HTTP %d %s", acked, st, msg)
		}
	}
	fill(c)
	var refusedMsg, retryAfter string
	refused := -1
	for i := acked; i < acked+1000; i++ {
		st, ra, msg := postBatch(t, c.url, diskFullBatch(i, size))
		if st == http.StatusOK {
			acked++
			continue
		}
		if st != http.StatusServiceUnavailable {
			t.Fatalf("batch %d with the disk full: HTTP %d %q; want 503", i, st, msg)
		}
		refused, refusedMsg, retryAfter = i, msg, ra
		break
	}
	if refused < 0 {
		t.Fatalf("1000 batches past the fill all succeeded: the limit did not bite (stderr:\n%s)", stderr.String())
	}
	t.Logf("disk full after %d acknowledged leads: HTTP 503, Retry-After %s, %q", acked*size, retryAfter, refusedMsg)
	if retryAfter == "" || !strings.Contains(refusedMsg, "out of disk space") && !strings.Contains(refusedMsg, "cannot write to its storage") {
		t.Fatalf("the 503 says %q (Retry-After %q); want a Retry-After and the cause", refusedMsg, retryAfter)
	}
	// Still full: a retry is refused the same way, and reads keep serving.
	if st, _, msg := postBatch(t, c.url, diskFullBatch(refused, size)); st != http.StatusServiceUnavailable {
		t.Fatalf("a retry with the disk still full: HTTP %d %q", st, msg)
	}
	resp, err := http.Get(c.url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz with the disk full: %v %v; reads still work, so the store is alive", resp, err)
	}
	resp.Body.Close()

	free(c)
	freed := time.Now()
	for {
		st, _, msg := postBatch(t, c.url, diskFullBatch(refused, size))
		if st == http.StatusOK {
			acked++
			break
		}
		if time.Since(freed) > 10*time.Second {
			t.Fatalf("writes still fail 10s after space returned: HTTP %d %q", st, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
	recovery := time.Since(freed)
	for i := refused + 1; i < refused+5; i++ {
		if st, _, msg := postBatch(t, c.url, diskFullBatch(i, size)); st != http.StatusOK {
			t.Fatalf("batch %d after space returned: HTTP %d %q", i, st, msg)
		}
		acked++
	}
	t.Logf("recovery: first write acknowledged %v after space returned", recovery.Round(time.Millisecond))
	if recovery > 5*time.Second {
		t.Fatalf("recovery took %v; want under 5s", recovery)
	}
	c.send("exit")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the child: %v\n%s", err, stderr.String())
	}

	// The file as the next start finds it: intact, and holding exactly the acknowledged leads.
	db, err := sql.Open("sqlite", filepath.Join(dir, "leads.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "leads.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var count int
	if err := db.QueryRow(`SELECT count(*) FROM leads`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != acked*size {
		t.Fatalf("%d leads in the file, %d acknowledged: a refused batch was half written or an acknowledged one lost", count, acked*size)
	}
	for i := 0; i < acked*size; i++ {
		if _, err := st.GetLeadByExternalID(context.Background(), fmt.Sprintf("df-%06d", i)); err != nil {
			t.Fatalf("acknowledged lead %d: %v", i, err)
		}
	}
}

package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// installHint is the fix printed when the server binaries are missing.
const installHint = "install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql-15), " +
	"put its bin directory on PATH, or set " + EnvDSN + " to a server's DSN"

const dirPrefix = "leadops-pgtest-"

// Server is a throwaway PostgreSQL server owned by the test process.
type Server struct {
	Dir  string // temp dir holding data/, the socket and the log; removed by Stop
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	bin  string
	cred *syscall.Credential
}

// Start initializes a cluster in a new temp dir and starts postgres on a free 127.0.0.1 port. As
// root, initdb and postgres refuse to run, so both run as the "postgres" OS user (which the server
// package creates) in a dir that user owns.
func Start(ctx context.Context) (*Server, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	base := tempBase(cred != nil)
	removeStale(base)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin, cred: cred}
	if err := s.init(ctx, bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A port found free can be taken before postgres binds it: retry a few times.
	for attempt := 0; ; attempt++ {
		err = s.start(ctx, bin, cred)
		if err == nil {
			return s, nil
		}
		if attempt == 4 || ctx.Err() != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

func (s *Server) init(ctx context.Context, bin string, cred *syscall.Credential) error {
	if cred != nil {
		if err := os.Chown(s.Dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(s.Dir, "data"),
		"-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	return s.startOn(ctx, bin, cred, port)
}

func (s *Server) startOn(ctx context.Context, bin string, cred *syscall.Credential, port int) error {
	logPath := filepath.Join(s.Dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	// Tuned for throwaway data: no fsync, and enough connections for parallel tests.
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(s.Dir, "data"),
		"-p", strconv.Itoa(port), "-h", "127.0.0.1", "-k", s.Dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300")
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig: if the test binary dies (timeout panic, kill), the kernel stops postgres too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.Port, s.cmd, s.done = port, cmd, done

	deadline := time.Now().Add(60 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(c, s.DSN("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited at start:\n%s", bytes.TrimSpace(log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = s.kill()
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres not ready after 60s: %v\n%s", err, bytes.TrimSpace(log))
		}
	}
}

// DSN returns the DSN of a database on this server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// PID is the postmaster's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop shuts the server down and removes its directory.
func (s *Server) Stop() error {
	err := s.kill()
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// kill asks for an immediate shutdown (the data is thrown away anyway) and waits, bounded.
func (s *Server) kill() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("postgres did not stop within 30s; killed")
	}
}

// Halt shuts the server down as an operator's restart or a failover does: a fast shutdown
// (SIGINT: open sessions are ended with 57P01, committed data is kept), then waits for the
// postmaster to exit, bounded. The data dir and port are kept for Resume.
func (s *Server) Halt() error {
	if s.cmd == nil {
		return errors.New("pgtest: the server is not running")
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
		s.cmd = nil
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("pgtest: postgres did not finish a fast shutdown within 30s")
	}
}

// Resume starts a halted server again on the same data dir and port, so DSNs handed out before
// stay valid, and returns once it accepts connections.
func (s *Server) Resume(ctx context.Context) error {
	if s.cmd != nil {
		return errors.New("pgtest: the server is already running")
	}
	return s.startOn(ctx, s.bin, s.cred, s.Port)
}

// StartDedicated starts a server of the test's own (not the shared one), for tests that stop and
// restart it; it is stopped and removed at cleanup.
func StartDedicated(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatalf("pgtest: starting a dedicated server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// NewDatabase creates an empty database on this server and returns its DSN (the server and the
// database go away together at Stop).
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "leadops_test_" + randomHex(6)
	if err := execSQL(ctx, s.DSN("postgres"), `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return s.DSN(name)
}

// debianBinGlob is where Debian and Ubuntu packages install the server (a var for the test).
var debianBinGlob = "/usr/lib/postgresql/*/bin"

// findBinDir locates initdb and postgres: PATH first, then the newest /usr/lib/postgresql/*/bin.
func findBinDir() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	versions, _ := filepath.Glob(debianBinGlob)
	sort.Slice(versions, func(i, j int) bool { return pgVersion(versions[i]) > pgVersion(versions[j]) })
	dirs = append(dirs, versions...)
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql/*/bin: %s", installHint)
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// credential is nil when not root; as root it is the "postgres" user's.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, where initdb refuses to run, and there is no \"postgres\" OS user to run it as (%v): %s, or run the tests as a non-root user", err, installHint)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user has a non-numeric uid/gid %s/%s", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// tempBase is os.TempDir, unless another user (postgres, when we are root) cannot reach into it.
func tempBase(otherUser bool) string {
	base := os.TempDir()
	if !otherUser {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == "/" || d == "." {
			return base
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStale deletes the dirs of earlier runs that died without cleanup (Pdeathsig stopped their
// server, but nothing removed the files): no live postmaster, and old enough not to be a run that is
// still in initdb.
func removeStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		pidFile, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid"))
		if err == nil {
			first, _, _ := bytes.Cut(pidFile, []byte("\n"))
			if pid, err := strconv.Atoi(string(first)); err == nil && syscall.Kill(pid, 0) == nil {
				continue // still running
			}
		}
		_ = os.RemoveAll(d)
	}
}

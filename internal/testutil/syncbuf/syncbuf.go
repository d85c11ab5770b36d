// Package syncbuf is a bytes.Buffer that a subprocess's output or a component's log can be written
// to while a test reads it (exec.Cmd copies Stdout and Stderr from goroutines of its own; loggers
// are called from any goroutine).
package syncbuf

import (
	"bytes"
	"sync"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// Buffer is safe for concurrent Write and String.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Logger is a logger that writes each line, up to verbosity v, to the buffer: tests read it to check
// what was logged (and that no personal data was).
func (s *Buffer) Logger(v int) logr.Logger {
	return funcr.New(func(prefix, args string) {
		_, _ = s.Write([]byte(prefix + " " + args + "\n"))
	}, funcr.Options{Verbosity: v})
}

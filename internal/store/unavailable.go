package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
)

// ErrUnavailable marks an error meaning the store cannot serve right now (its server is down,
// restarting or unreachable) rather than that the request was wrong: the caller should retry
// later. Backends may wrap it; Unavailable also recognizes the drivers' own errors.
var ErrUnavailable = errors.New("the lead store is unavailable")

// Outage says why a store error is transient, for the message a caller sees.
type Outage int

const (
	// NoOutage: the error is not a store outage (a bug, a constraint, a bad query).
	NoOutage Outage = iota
	// Unreachable: the database server is down, restarting, refusing connections or too slow.
	Unreachable
	// OutOfSpace: the store's disk is full, or its file may not grow any more.
	OutOfSpace
	// ReadOnlyStorage: the store's file or database accepts no writes (read-only file or mount,
	// a standby after a failover) or its storage fails I/O.
	ReadOnlyStorage
)

// Classify tells whether err means the store is temporarily unable to serve, and why: the
// backends' registered classifiers (SQLSTATE, SQLite result codes) first, then errors any backend
// can return (system call, network and deadline errors).
func Classify(err error) Outage {
	if err == nil {
		return NoOutage
	}
	if errors.Is(err, ErrUnavailable) {
		return Unreachable
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT) {
		return OutOfSpace
	}
	if errors.Is(err, syscall.EROFS) {
		return ReadOnlyStorage
	}
	for _, c := range classifiers() {
		if o := c(err); o != NoOutage {
			return o
		}
	}
	var retry interface{ SafeToRetry() bool }
	if errors.As(err, &retry) && retry.SafeToRetry() {
		// pgconn: the statement never reached the server (connection closed or busy, dial failed).
		return Unreachable
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return Unreachable
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Unreachable
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// A request that ran out of time waiting for the store: the store is too slow to serve.
		return Unreachable
	}
	return NoOutage
}

// Unavailable is Classify(err) != NoOutage.
func Unavailable(err error) bool { return Classify(err) != NoOutage }

// ClassifySQLState maps PostgreSQL error classes: 08 connection exception, 57P01–57P03 shutdown
// and start-up, 53 insufficient resources (53100 disk full), 58 system errors, 25006 a read-only
// transaction (a standby, e.g. right after a failover).
func ClassifySQLState(code string) Outage {
	switch {
	case code == "53100":
		return OutOfSpace
	case code == "25006", strings.HasPrefix(code, "58"):
		return ReadOnlyStorage
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"),
		code == "57P01", code == "57P02", code == "57P03":
		return Unreachable
	}
	return NoOutage
}

// SQLite primary result codes (the low byte of an extended code).
const (
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// ClassifySQLiteCode maps an SQLite result code (primary or extended).
func ClassifySQLiteCode(code int) Outage {
	switch code & 0xff {
	case sqliteFull:
		return OutOfSpace
	case sqliteReadOnly, sqliteIOErr, sqliteCantOpen:
		return ReadOnlyStorage
	case sqliteBusy, sqliteLocked:
		return Unreachable
	}
	return NoOutage
}

var (
	classifierMu sync.RWMutex
	classifierFn []func(error) Outage
)

// RegisterOutageClassifier adds a backend's recognizer of its driver's errors (called from the
// backend package's init, so the store package never imports a driver).
func RegisterOutageClassifier(f func(error) Outage) {
	classifierMu.Lock()
	defer classifierMu.Unlock()
	classifierFn = append(classifierFn, f)
}

func classifiers() []func(error) Outage {
	classifierMu.RLock()
	defer classifierMu.RUnlock()
	return classifierFn
}

// String is the sentence a caller reads in a 503.
func (o Outage) String() string {
	switch o {
	case Unreachable:
		return "the lead store is unavailable (its database is down, restarting or unreachable); retry after the Retry-After delay"
	case OutOfSpace:
		return "the lead store is out of disk space and accepts no writes until an operator frees space; nothing was written, retry later"
	case ReadOnlyStorage:
		return "the lead store cannot write to its storage (disk full, file-size limit, read-only file or mount, or an I/O error); nothing was written, retry later"
	}
	return "no outage"
}

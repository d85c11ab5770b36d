package crm

import (
	"bytes"
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// DefaultReloadInterval is how often Live re-reads the configuration file: a ConfigMap update reaches
// the mounted file within a minute or so, and reading a small file is cheap.
const DefaultReloadInterval = 10 * time.Second

// Live is the configuration file kept current: it is read at start (an invalid file is an error
// then) and re-read while Run runs; a changed file that does not validate is logged and the last
// good configuration stays in use, so a bad GitOps push never takes the CRM link down.
type Live struct {
	path     string
	interval time.Duration
	log      logr.Logger
	cur      atomic.Pointer[Config]
	raw      []byte
}

// NewLive loads path.
func NewLive(path string, interval time.Duration, log logr.Logger) (*Live, error) {
	if interval <= 0 {
		interval = DefaultReloadInterval
	}
	l := &Live{path: path, interval: interval, log: log}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	l.cur.Store(c)
	l.raw = raw
	return l, nil
}

// Current returns the configuration in use; never nil once NewLive succeeded.
func (l *Live) Current() *Config {
	if l == nil {
		return nil
	}
	return l.cur.Load()
}

// Reload re-reads the file once; it reports whether a new configuration took effect.
func (l *Live) Reload() bool {
	raw, err := os.ReadFile(l.path)
	if err != nil {
		l.log.Error(err, "re-reading the CRM configuration; keeping the last good one")
		return false
	}
	if bytes.Equal(raw, l.raw) {
		return false
	}
	c, err := Parse(raw)
	if err != nil {
		// Validation messages carry paths and rules, never values: safe to log.
		l.log.Error(err, "the changed CRM configuration is not valid; keeping the last good one", "path", l.path)
		l.raw = raw // report each bad version once
		return false
	}
	l.cur.Store(c)
	l.raw = raw
	l.log.Info("CRM configuration reloaded", "path", l.path, "connections", len(c.Connections))
	return true
}

// Run reloads every interval until ctx ends (a manager.Runnable on every replica).
func (l *Live) Run(ctx context.Context) error {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			l.Reload()
		}
	}
}

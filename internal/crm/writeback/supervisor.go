package writeback

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/crm"
)

// Supervisor runs one Worker per connection with writeBack.enabled in the current CRM
// configuration, and follows the configuration as it is reloaded: a connection added or enabled
// gets a worker, one removed or disabled loses it, one changed gets a new worker (new client, new
// rate) that resumes from the saved cursor.
type Supervisor struct {
	// Config returns the configuration in use (crm.Live.Current).
	Config func() *crm.Config
	// NewWorker builds the worker of a connection.
	NewWorker func(conn crm.Connection) *Worker
	// Interval is how often the configuration is compared (default 10s, crm.DefaultReloadInterval).
	Interval time.Duration
	Log      logr.Logger
}

// NeedLeaderElection is true: write-back runs on the elected leader only.
func (s *Supervisor) NeedLeaderElection() bool { return true }

type running struct {
	conn   crm.Connection
	cancel context.CancelFunc
	done   chan struct{}
}

// Start supervises until ctx ends, then stops every worker.
func (s *Supervisor) Start(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = crm.DefaultReloadInterval
	}
	workers := map[string]*running{}
	var wg sync.WaitGroup
	defer func() {
		for _, r := range workers {
			r.cancel()
		}
		wg.Wait()
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.reconcile(ctx, workers, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// reconcile makes the running workers those of the enabled connections as configured now.
func (s *Supervisor) reconcile(ctx context.Context, workers map[string]*running, wg *sync.WaitGroup) {
	want := map[string]crm.Connection{}
	if c := s.Config(); c != nil {
		for _, conn := range c.Connections {
			if conn.WriteBack != nil && conn.WriteBack.Enabled {
				want[conn.Name] = conn
			}
		}
	}
	for name, r := range workers {
		if conn, ok := want[name]; ok && reflect.DeepEqual(conn, r.conn) {
			continue
		}
		r.cancel()
		<-r.done
		delete(workers, name)
		s.Log.Info("write-back stopped", "connection", name)
	}
	for name, conn := range want {
		if workers[name] != nil {
			continue
		}
		w := s.NewWorker(conn)
		wctx, cancel := context.WithCancel(ctx)
		r := &running{conn: conn, cancel: cancel, done: make(chan struct{})}
		workers[name] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(r.done)
			if err := w.Start(wctx); err != nil {
				s.Log.Error(err, "write-back worker stopped", "connection", name)
			}
		}()
		s.Log.Info("write-back started", "connection", name, "crm", string(conn.CRM))
	}
}

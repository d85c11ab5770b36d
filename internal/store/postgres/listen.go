package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/changefeed"
)

// channel is the LISTEN/NOTIFY channel; a payload is a comma-separated list of
// "<lead id>:<change_seq>".
const channel = "leadops_lead_changes"

// Subscribe delivers a Change for every lead any process changes after the call returns.
func (s *Store) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	s.listenOnce.Do(func() {
		s.listener = newListener(s.pool.Config().ConnConfig.Copy(), &s.hub, s.opts.Log())
	})
	if err := s.listener.waitReady(ctx); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return s.hub.Subscribe(ctx), nil
}

// replaySlack widens the replay after a reconnect: change_seq values are taken when a statement
// runs, not when its transaction commits, so a transaction with a lower number may commit after
// one with a higher number was already heard. Replaying this many numbers back covers writers in
// flight at the drop (a batch takes at most store.MaxBatchSize numbers); duplicates are allowed.
const replaySlack = 20000

// maxListenBackoff caps the wait between reconnect attempts: a refused connection costs nothing,
// and every second the listener stays away after the server's return is a second the router only
// hears of new leads through its own retries (TestListenerSurvivesServerRestart measures it).
const maxListenBackoff = time.Second

// listener holds one dedicated connection in LISTEN, outside the pool (a pooled connection would
// be handed to other queries), and reconnects after a drop, replaying what it may have missed.
type listener struct {
	cfg *pgx.ConnConfig
	hub *changefeed.Hub
	log *slog.Logger

	ready     chan struct{}
	readyOnce sync.Once
	cancel    context.CancelFunc
	done      chan struct{}

	mu      sync.Mutex
	live    *pgx.Conn
	lastSeq int64
	haveSeq bool
}

func newListener(cfg *pgx.ConnConfig, hub *changefeed.Hub, log *slog.Logger) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cfg: cfg, hub: hub, log: log, ready: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go l.run(ctx)
	return l
}

func (l *listener) waitReady(ctx context.Context) error {
	select {
	case <-l.ready:
		return nil
	case <-l.done:
		return errors.New("store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.session(ctx)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("lead change listener disconnected; reconnecting", "error", err, "retryIn", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxListenBackoff)
	}
}

// session connects, LISTENs, replays missed changes and then relays notifications until the
// connection fails.
func (l *listener) session(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	// LISTEN is active: everything committed from now on is notified; replay what came before.
	if err := l.replay(ctx, conn); err != nil {
		return err
	}
	l.mu.Lock()
	l.live = conn
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.live = nil
		l.mu.Unlock()
	}()
	l.readyOnce.Do(func() { close(l.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.relay(n.Payload)
	}
}

func (l *listener) replay(ctx context.Context, conn *pgx.Conn) error {
	l.mu.Lock()
	since, have := l.lastSeq, l.haveSeq
	l.mu.Unlock()
	if !have {
		// First session: subscribers only want changes from now on.
		var seq int64
		if err := conn.QueryRow(ctx, `SELECT coalesce(max(change_seq), 0) FROM leads`).Scan(&seq); err != nil {
			return err
		}
		l.mu.Lock()
		l.lastSeq, l.haveSeq = seq, true
		l.mu.Unlock()
		return nil
	}
	rows, err := conn.Query(ctx, `SELECT id::text, change_seq FROM leads WHERE change_seq > $1 ORDER BY change_seq`, since-replaySlack)
	if err != nil {
		return err
	}
	var (
		ids []string
		top = since
	)
	for rows.Next() {
		var (
			id  string
			seq int64
		)
		if err := rows.Scan(&id, &seq); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
		top = max(top, seq)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	l.hub.Publish(ids...)
	l.mu.Lock()
	l.lastSeq = max(l.lastSeq, top)
	l.mu.Unlock()
	l.log.Info("lead change listener reconnected", "replayed", len(ids))
	return nil
}

// backendPID is the server process of the live LISTEN connection (0 when disconnected).
func (l *listener) backendPID() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live == nil {
		return 0
	}
	return l.live.PgConn().PID()
}

// relay publishes the leads of one payload and advances the replay watermark.
func (l *listener) relay(payload string) {
	var (
		ids []string
		top int64
	)
	for item := range strings.SplitSeq(payload, ",") {
		id, seqText, ok := strings.Cut(item, ":")
		if !ok {
			continue
		}
		ids = append(ids, id)
		if seq, err := strconv.ParseInt(seqText, 10, 64); err == nil {
			top = max(top, seq)
		}
	}
	l.hub.Publish(ids...)
	l.mu.Lock()
	l.lastSeq = max(l.lastSeq, top)
	l.mu.Unlock()
}

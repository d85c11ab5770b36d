// Package api is the lead store's HTTP API: marketing tools and reps create and upsert leads, record
// activities and read a lead's audit trail through it; leadctl is its command-line client. It speaks JSON
// over net/http, authenticates every call except /healthz with bearer tokens read from a file, and refuses
// malformed input before anything reaches the store.
package api

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// Defaults for Options fields left zero (the size limits are in limits.go).
const (
	DefaultAddr                = ":8082"
	DefaultTokenReloadInterval = time.Second
	DefaultShutdownTimeout     = 10 * time.Second
)

// Options configure a Server.
type Options struct {
	// Addr is the listen address used by Start, e.g. ":8082" or "127.0.0.1:0".
	Addr string
	// TokenFile holds the accepted bearer tokens with their scopes, one per line (docs/tokens.md).
	TokenFile string
	// RateLimit is each token's default request rate per second, RateBurst its bucket size; a token's
	// line may set its own (rate=, burst=). Zero RateLimit: no default limit.
	RateLimit float64
	RateBurst int
	// TLSCertFile and TLSKeyFile, when both set, make the API speak HTTPS only (TLS 1.2 or later); the
	// pair is re-read when the files change, as cert-manager rotates them (tls.go).
	TLSCertFile, TLSKeyFile string
	// TLSWatchInterval is how often the certificate files are polled for changes (default 10s).
	TLSWatchInterval time.Duration
	// TokenReloadInterval is how often the token file is re-read; a Secret update lands within it.
	TokenReloadInterval time.Duration
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes int64
	// Clock stamps activities and accounts; tests pin it.
	Clock func() time.Time
	// Logger receives one line per request and every internal error; never personal data.
	Logger logr.Logger
	// ReadHeaderTimeout bounds how long a client may take to send its request line and headers (a slow
	// client holds a connection for at most this long); zero: 10s.
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds how long Start waits for in-flight requests when its context ends.
	ShutdownTimeout time.Duration
	// CRM serves the CRM inbound endpoints (crm.go); nil: they answer 404.
	CRM *CRMOptions
	// MaxInFlight bounds the write requests served at once, MaxQueueWait how long one over the limit
	// waits before it gets 503 with Retry-After (overload.go); zero: the defaults.
	MaxInFlight  int
	MaxQueueWait time.Duration
}

// Store is what the API needs from the lead store: leads with their audit trail, activities,
// accounts, the event feed, and a ping for /healthz. A store.Backend is one; tests may pass less.
type Store interface {
	UpsertLead(ctx context.Context, in store.LeadInput, actor string) (*lead.Lead, bool, error)
	UpsertLeads(ctx context.Context, in []store.LeadInput, actor string) ([]*lead.Lead, error)
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error)
	ListLeads(ctx context.Context, f store.ListFilter) (store.Page, error)
	Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error)
	Audit(ctx context.Context, leadID string) ([]store.AuditEvent, error)
	UpsertAccount(ctx context.Context, a store.Account) error
	GetAccount(ctx context.Context, domain string) (*store.Account, error)
	Ping(ctx context.Context) error
	// The event feed (GET /v1/events): a page after a position, and change notifications that wake
	// a long poll.
	EventsAfter(ctx context.Context, q store.FeedQuery) (store.FeedPage, error)
	Subscribe(ctx context.Context) (<-chan store.Change, error)
	// ErasePersonalData backs DELETE /v1/leads/{id}/personal-data (erasure.go).
	ErasePersonalData(ctx context.Context, leadID, actor string) (store.Erasure, error)
}

// Server serves the API. It is an http.Handler and a controller-runtime manager.Runnable.
type Server struct {
	store  Store
	opts   Options
	log    logr.Logger
	tokens *tokenFile
	mux    *http.ServeMux
	// publicPatterns are the mux patterns served without a bearer token: /healthz, and the CRM
	// endpoints, which verify the CRM's own signature instead.
	publicPatterns map[string]struct{}
	// routeScopes is the scope each authenticated pattern needs; limits are the per-token buckets.
	routeScopes map[string]Scope
	limits      *limiters
	// certs is the API's certificate when it serves TLS; nil: plain HTTP.
	certs *certs

	// listening, when set, is told the bound address once Start listens (tests use port 0).
	listening func(net.Addr)

	// serving is true from the moment the listener is bound and served until shutdown begins;
	// startErr is why Start could not listen. Together they are Ready's answer.
	serving  atomic.Bool
	startErr atomic.Pointer[error]

	overload *overload
}

// NewServer checks the options, loads the token file once (a missing or unreadable file is an error at
// start, so a misconfigured deployment fails loudly instead of answering 401 forever) and builds the
// routes.
func NewServer(st Store, opts Options) (*Server, error) {
	if st == nil {
		return nil, errors.New("api: a store is required")
	}
	if opts.TokenFile == "" {
		return nil, errors.New("api: a token file is required: the API never runs without authentication")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.TokenReloadInterval <= 0 {
		opts.TokenReloadInterval = DefaultTokenReloadInterval
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = readHeaderTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	log := opts.Logger // the caller names it (the manager passes ctrl.Log.WithName("api"))
	tf, err := loadTokenFile(opts.TokenFile, opts.TokenReloadInterval, log)
	if err != nil {
		return nil, err
	}
	c, err := newCerts(opts.TLSCertFile, opts.TLSKeyFile, opts.TLSWatchInterval)
	if err != nil {
		return nil, err
	}
	s := &Server{store: st, opts: opts, log: log, tokens: tf, limits: newLimiters(opts.RateLimit, opts.RateBurst), certs: c}
	tf.onReload = s.limits.prune
	s.mux = http.NewServeMux()
	s.publicPatterns = map[string]struct{}{}
	s.routeScopes = map[string]Scope{}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Pattern(), rt.handler)
		if rt.public {
			s.publicPatterns[rt.Pattern()] = struct{}{}
		} else {
			s.routeScopes[rt.Pattern()] = rt.requiredScope()
		}
	}
	s.overload = newOverload(opts.MaxInFlight, opts.MaxQueueWait)
	return s, nil
}

// NotifyListening registers f to be called with the bound address once Start listens.
func (s *Server) NotifyListening(f func(net.Addr)) { s.listening = f }

// Start listens on Options.Addr and serves until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish within ShutdownTimeout, and returns nil. It satisfies
// controller-runtime's manager.Runnable, so the manager can run the API next to the controllers.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		err = fmt.Errorf("api: listen on %s: %w", s.opts.Addr, err)
		s.startErr.Store(&err)
		return err
	}
	return s.Serve(ctx, ln)
}

// errNotServing is Ready's answer before Start or Serve has a listener, and after shutdown began.
var errNotServing = errors.New("the lead API is not serving on its port")

// Ready returns nil while the API serves: from the moment its listener is bound and handed to the
// HTTP server (a connection made then is accepted and answered) until shutdown begins. The manager
// starts runnables after its probe server, so without this check /readyz said ready while the API
// port still refused connections.
func (s *Server) Ready() error {
	if s.serving.Load() {
		return nil
	}
	if err := s.startErr.Load(); err != nil {
		return *err
	}
	return errNotServing
}

// ReadyCheck is Ready in the shape of controller-runtime's healthz.Checker, for mgr.AddReadyzCheck.
func (s *Server) ReadyCheck(*http.Request) error { return s.Ready() }

// Serve is Start on a listener the caller opened.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		// net/http's own complaints (failed TLS handshakes, bad request lines) into the API's log, at
		// debug level: they come from clients, which the server cannot fix, and hold addresses only.
		ErrorLog: log.New(httpErrorLog{s.log}, "", 0),
	}
	if s.listening != nil {
		s.listening(ln.Addr())
	}
	s.log.Info("serving the lead API", "addr", ln.Addr().String(), "tls", s.certs != nil)
	errc := make(chan error, 1)
	if s.certs != nil {
		srv.TLSConfig = s.certs.config()
		wctx, stopWatching := context.WithCancel(ctx)
		defer stopWatching()
		go func() {
			if err := s.certs.watch(wctx); err != nil {
				s.log.Error(err, "stopped watching the TLS certificate files; the certificate loaded last stays in use")
			}
		}()
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	// The listener is bound, so the kernel completes connections from now on and srv.Serve answers
	// them as soon as it runs: ready.
	s.serving.Store(true)
	defer s.serving.Store(false)
	select {
	case err := <-errc:
		s.serving.Store(false)
		err = fmt.Errorf("api: serve: %w", err)
		s.startErr.Store(&err)
		return err
	case <-ctx.Done():
	}
	// Not ready while draining: the endpoint should leave the Service before connections are refused.
	s.serving.Store(false)
	// The manager's context is already done; shutdown needs a fresh one to give requests time to finish.
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("api: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: serve: %w", err)
	}
	return nil
}

type httpErrorLog struct{ log logr.Logger }

func (w httpErrorLog) Write(p []byte) (int, error) {
	w.log.V(1).Info("connection error", "error", strings.TrimSpace(string(p)))
	return len(p), nil
}

// NeedLeaderElection is false: every replica serves the API, not just the leader.
func (s *Server) NeedLeaderElection() bool { return false }

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/go-logr/logr"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

// runServe runs the HTTP API without the controller manager: for a laptop, a demo, or a deployment
// that keeps the API apart from the controllers. The manager runs the same server (api.Server.Start).
func runServe(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("serve", c, e.stderr)
	addr := fs.String("addr", api.DefaultAddr, "listen address")
	maxBody := fs.Int64("max-body-bytes", api.DefaultMaxBodyBytes, "largest accepted request body")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS (TLS 1.2+) with this PEM certificate, re-read when it changes; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second each token may make (429 with Retry-After above it; a token's rate= in the token file overrides it); 0: no limit")
	rateBurst := fs.Int("rate-burst", 0, "requests each token may make at once above --rate-limit (default: --rate-limit rounded up)")
	verbose := fs.Bool("v", false, "log every request (method, route, status; never personal data)")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(e.stderr, "leadctl serve: unexpected arguments")
		return exitUsage
	}
	dsn := firstNonEmpty(c.storeDSN, e.getenv("LEADCTL_STORE"))
	if dsn == "" || c.tokenFile == "" {
		fmt.Fprintln(e.stderr, "leadctl serve: needs --store DSN and --token-file FILE (the server's token file: docs/tokens.md)")
		return exitUsage
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	sl := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	st, err := storeopen.Open(ctx, dsn, store.Options{Logger: sl, DuplicateAttribute: os.Getenv("LEADOPS_DUPLICATE_ATTRIBUTE")})
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl serve:", err)
		return exitError
	}
	defer st.Close()
	srv, err := api.NewServer(st, api.Options{Addr: *addr, TokenFile: c.tokenFile, MaxBodyBytes: *maxBody,
		TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey, RateLimit: *rateLimit, RateBurst: *rateBurst,
		Logger: logr.FromSlogHandler(sl.Handler()).WithName("api")})
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl serve:", err)
		return exitError
	}
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintln(e.stderr, "leadctl serve:", err)
		return exitError
	}
	return exitOK
}

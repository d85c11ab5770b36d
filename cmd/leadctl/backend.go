package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// backend is what the commands need, served either by the HTTP API or by a store opened directly.
type backend interface {
	// UpsertLeads stores the inputs; progress is told after every stored chunk.
	UpsertLeads(ctx context.Context, in []store.LeadInput, progress func(done int)) error
	Get(ctx context.Context, ref string, external bool) (*lead.Lead, []store.AuditEvent, error)
	Apply(ctx context.Context, id string, a store.Activity) (*lead.Lead, error)
	List(ctx context.Context, f store.ListFilter) (store.Page, error)
	Close() error
}

// open picks the backend from the flags, falling back to the environment.
func open(ctx context.Context, e env, c *conn) (backend, error) {
	server, dsn := c.server, c.storeDSN
	if server == "" && dsn == "" {
		server, dsn = e.getenv("LEADCTL_SERVER"), e.getenv("LEADCTL_STORE")
	}
	switch {
	case server != "" && dsn != "":
		return nil, errors.New("give either --server or --store, not both")
	case server != "":
		token, err := readToken(e, c.tokenFile)
		if err != nil {
			return nil, err
		}
		return newHTTPBackend(server, token), nil
	case dsn != "":
		actor := c.actor
		if actor == "" {
			actor = "leadctl:" + firstNonEmpty(e.getenv("USER"), "unknown")
		}
		return openStoreBackend(ctx, dsn, actor)
	default:
		return nil, errors.New("say where the leads are: --server URL (or LEADCTL_SERVER) for the API, or --store DSN (or LEADCTL_STORE)")
	}
}

// readToken reads the API token from --token-file, else from LEADCTL_TOKEN. A token on the command line
// would land in shell history and in `ps`, so there is deliberately no --token flag.
func readToken(e env, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read the token file: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				return t, nil
			}
		}
		return "", fmt.Errorf("the token file %s holds no token", file)
	}
	if t := strings.TrimSpace(e.getenv("LEADCTL_TOKEN")); t != "" {
		return t, nil
	}
	return "", errors.New("the API needs a token: pass --token-file FILE or set LEADCTL_TOKEN")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

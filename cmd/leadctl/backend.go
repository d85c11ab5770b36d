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
		token, source, err := readToken(e, c.tokenFile)
		if err != nil {
			return nil, err
		}
		hc, err := apiHTTPClient(server, firstNonEmpty(c.caFile, e.getenv("LEADCTL_CA_FILE")), c.insecure)
		if err != nil {
			return nil, err
		}
		b := newHTTPBackend(server, token, source)
		b.c.HTTP = hc
		return b, nil
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

// readToken reads the API token from --token-file, else from LEADCTL_TOKEN, and says where it came
// from (for the message when the server refuses it). A token on the command line would land in shell
// history and in `ps`, so there is deliberately no --token flag.
//
// The file may hold the token alone, or be in the server's --api-token-file format (NAME:TOKEN lines
// with their options, blank lines and # comments; docs/tokens.md): people naturally pass the file they gave the server. The first token
// line is used, split at the first colon as the server splits it, and stderr says which name that is.
func readToken(e env, file string) (token, source string, err error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", "", fmt.Errorf("read the token file: %w", err)
		}
		lines := strings.Split(string(b), "\n")
		for n, line := range lines {
			t := strings.TrimSpace(line)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			name, secret, named := strings.Cut(t, ":")
			if !named {
				return strings.Fields(t)[0], file, nil
			}
			name = strings.TrimSpace(name)
			if f := strings.Fields(secret); len(f) > 0 {
				secret = f[0] // the options after the token (scopes=…) are the server's business
			} else {
				secret = ""
			}
			if name == "" || secret == "" {
				return "", "", fmt.Errorf("line %d of the token file %s is neither TOKEN nor NAME:TOKEN", n+1, file)
			}
			fmt.Fprintf(e.stderr, "leadctl: using token %q from %s\n", name, file)
			return secret, fmt.Sprintf("%s (token %q)", file, name), nil
		}
		return "", "", fmt.Errorf("the token file %s holds no token", file)
	}
	if t := strings.TrimSpace(e.getenv("LEADCTL_TOKEN")); t != "" {
		return t, "LEADCTL_TOKEN", nil
	}
	return "", "", errors.New("the API needs a token: pass --token-file FILE or set LEADCTL_TOKEN")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

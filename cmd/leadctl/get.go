package main

import (
	"context"
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

func runGet(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("get", c, e.stderr)
	external := fs.Bool("external", false, "ID is the lead's external id (from the CRM or the import file)")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	ref, err := exactlyOne(fs, pos, "lead ID")
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl:", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, l, events, code := openLead(ctx, e, c, "get", ref, *external)
	if b == nil {
		return code
	}
	defer b.Close()
	renderLead(e.stdout, l, events, time.Now())
	return exitOK
}

// openLead opens the backend and reads the lead ref (its external id when external) with its audit
// trail, for get and explain. On failure it prints the error after "leadctl <cmd>:" and returns a nil
// backend and the exit status: a usage error when the backend does not open, an error when the lead
// cannot be read. The caller closes the backend.
func openLead(ctx context.Context, e env, c *conn, cmd, ref string, external bool) (backend, *lead.Lead, []store.AuditEvent, int) {
	b, err := open(ctx, e, c)
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl %s: %v\n", cmd, err)
		return nil, nil, nil, exitUsage
	}
	l, events, err := b.Get(ctx, ref, external)
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl %s: %v\n", cmd, err)
		b.Close()
		return nil, nil, nil, exitError
	}
	return b, l, events, exitOK
}

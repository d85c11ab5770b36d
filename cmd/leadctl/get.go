package main

import (
	"context"
	"fmt"
	"time"
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
	b, err := open(ctx, e, c)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl get:", err)
		return exitUsage
	}
	defer b.Close()
	l, events, err := b.Get(ctx, ref, *external)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl get:", err)
		return exitError
	}
	renderLead(e.stdout, l, events, time.Now())
	return exitOK
}

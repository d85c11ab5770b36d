package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

const auditHelp = `leadctl audit verify [ID] checks the tamper-evident audit log (docs/audit-chain.md): every
event's content digest, every link of each lead's hash chain and every erasure. With ID it checks one
lead, without it the whole store, streaming lead by lead. It names the first broken link (lead, event,
what does not match) and exits 1; 0 when every chain verifies. It reads the store directly: pass
--store DSN (or LEADCTL_STORE); the API does not serve the digests.`

// auditChains is the store method verify reads.
type auditChains interface {
	AuditChain(ctx context.Context, leadID string, fn func(string, []store.ChainRow) error) error
	Close() error
}

func runAudit(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("audit", c, e.stderr)
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	if len(pos) == 0 || pos[0] != "verify" || len(pos) > 2 {
		fmt.Fprintln(e.stderr, "leadctl: usage: leadctl audit verify [ID]")
		return exitUsage
	}
	leadID := ""
	if len(pos) == 2 {
		leadID = pos[1]
	}
	dsn := c.storeDSN
	if dsn == "" && c.server == "" {
		dsn = e.getenv("LEADCTL_STORE")
	}
	if dsn == "" {
		fmt.Fprintln(e.stderr, "leadctl audit verify: it reads the store directly: pass --store DSN (or set LEADCTL_STORE)")
		return exitUsage
	}
	// No timeout: a whole store streams for as long as it takes.
	st, err := storeopen.Open(ctx, dsn, store.Options{})
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl audit verify: %v\n", err)
		return exitError
	}
	var ac auditChains = st
	defer ac.Close()
	var (
		sum   store.ChainReport
		leads int
	)
	errBroken := errors.New("broken")
	var brk *store.ChainBreak
	err = ac.AuditChain(ctx, leadID, func(id string, rows []store.ChainRow) error {
		rep, b := store.VerifyChain(id, rows)
		leads++
		sum.Events += rep.Events
		sum.Unchained += rep.Unchained
		sum.Erasures += rep.Erasures
		if b != nil {
			brk = b
			return errBroken
		}
		return nil
	})
	if brk != nil {
		fmt.Fprintf(e.stdout, "BROKEN: lead %s, event %d: %s\n", brk.LeadID, brk.EventID, brk.What)
		fmt.Fprintf(e.stdout, "verified %d leads before it\n", leads-1)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl audit verify: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "ok: %d leads, %d chained events, %d erasures", leads, sum.Events, sum.Erasures)
	if sum.Unchained > 0 {
		fmt.Fprintf(e.stdout, ", %d events from before the chain taken as given", sum.Unchained)
	}
	fmt.Fprintln(e.stdout)
	return exitOK
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leadops/leadops/internal/store"
)

const forgetHelp = `Erases the personal data of a lead and of its duplicates (the same person's other submissions):
email, name, phone, company, domain, attributes, the original values as sent, the duplicate key
and free-text reasons, on the lead and in its audit log. Stage, times, owner, team, policy, rule,
amount, source, campaign and score stay, so goal and SLA figures do not change. The audit log
records who asked and when (an "erased" event), never what was erased; the hash chain still
verifies (leadctl audit verify). Through --server it needs a token with the admin scope; see
docs/privacy.md.`

// eraser is the backend method behind forget: both backends have it.
type eraser interface {
	Erase(ctx context.Context, id string) (store.Erasure, error)
}

func (b *httpBackend) Erase(ctx context.Context, id string) (store.Erasure, error) {
	er, err := b.c.ErasePersonalData(ctx, id)
	return er, b.explain(err)
}

// personalData is the store method forget calls on a store opened directly.
type personalData interface {
	ErasePersonalData(ctx context.Context, leadID, actor string) (store.Erasure, error)
}

func (b *storeBackend) Erase(ctx context.Context, id string) (store.Erasure, error) {
	pd, ok := b.st.(personalData)
	if !ok {
		return store.Erasure{}, errors.New("this store cannot erase personal data")
	}
	return pd.ErasePersonalData(ctx, id, b.actor)
}

func runForget(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("forget", c, e.stderr)
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
		fmt.Fprintf(e.stderr, "leadctl forget: %v\n", err)
		return exitUsage
	}
	defer b.Close()
	id := ref
	if *external {
		l, _, err := b.Get(ctx, ref, true)
		if err != nil {
			fmt.Fprintf(e.stderr, "leadctl forget: %v\n", err)
			return exitError
		}
		id = l.ID
	}
	er, err := b.(eraser).Erase(ctx, id)
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl forget: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "erased the personal data of lead %s", id)
	if len(er.LeadIDs) > 1 {
		fmt.Fprintf(e.stdout, " and of its duplicates %s", strings.Join(er.LeadIDs[1:], ", "))
	}
	fmt.Fprintf(e.stdout, " (%d audit events redacted)\n", er.Events)
	return exitOK
}

var (
	_ eraser = (*httpBackend)(nil)
	_ eraser = (*storeBackend)(nil)
)

package main

import (
	"context"
	"fmt"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// activity returns the command for one activity kind.
func activity(kind store.ActivityKind) func(context.Context, env, *conn, []string) int {
	return func(ctx context.Context, e env, c *conn, args []string) int {
		fs := newFlagSet(string(kind), c, e.stderr)
		external := fs.Bool("external", false, "ID is the lead's external id (from the CRM or the import file)")
		var reason *string
		var amount *float64
		switch kind {
		case store.ActivityReject:
			reason = fs.String("reason", "", "why the lead goes back to marketing (required)")
		case store.ActivityDisqualify:
			reason = fs.String("reason", "", "why the lead is not worth handing to sales (required)")
		case store.ActivityWin:
			amount = fs.Float64("amount", 0, "the deal amount (required, greater than zero)")
			reason = fs.String("note", "", "an optional note for the history")
		default:
			reason = fs.String("note", "", "an optional note for the history")
		}
		pos, code, ok := parseCommand(fs, args, e)
		if !ok {
			return code
		}
		ref, err := exactlyOne(fs, pos, "lead ID")
		if err != nil {
			fmt.Fprintln(e.stderr, "leadctl:", err)
			return exitUsage
		}
		a := store.Activity{Kind: kind, Reason: *reason}
		if amount != nil {
			a.Amount = *amount
		}
		// The same rules the API applies, checked here too so --store gets them and so the flag
		// names appear in the message rather than JSON field names.
		if errs := validate.Activity("", a); len(errs) > 0 {
			for _, fe := range errs {
				fmt.Fprintf(e.stderr, "leadctl %s: --%s %s\n", kind, flagName(kind, fe.Path), fe.Message)
			}
			return exitUsage
		}
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		b, err := open(ctx, e, c)
		if err != nil {
			fmt.Fprintf(e.stderr, "leadctl %s: %v\n", kind, err)
			return exitUsage
		}
		defer b.Close()
		id := ref
		if *external {
			l, _, err := b.Get(ctx, ref, true)
			if err != nil {
				fmt.Fprintf(e.stderr, "leadctl %s: %v\n", kind, err)
				return exitError
			}
			id = l.ID
		}
		l, err := b.Apply(ctx, id, a)
		if err != nil {
			fmt.Fprintf(e.stderr, "leadctl %s: %v\n", kind, err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", leadTitle(l), stageSentence(l, nil))
		return exitOK
	}
}

func flagName(kind store.ActivityKind, field string) string {
	if field == "reason" && kind != store.ActivityReject && kind != store.ActivityDisqualify {
		return "note"
	}
	return field
}

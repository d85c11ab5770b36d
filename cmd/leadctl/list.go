package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

// stagesFlag collects --stage, which may repeat or be comma-separated.
type stagesFlag []lead.Stage

func (s *stagesFlag) String() string { return "" }
func (s *stagesFlag) Set(v string) error {
	for _, st := range strings.Split(v, ",") {
		*s = append(*s, lead.Stage(strings.TrimSpace(st)))
	}
	return nil
}

func runList(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("list", c, e.stderr)
	var f store.ListFilter
	var stages stagesFlag
	fs.StringVar(&f.Owner, "owner", "", "only this rep's leads")
	fs.StringVar(&f.Team, "team", "", "only this team's leads")
	fs.StringVar(&f.Policy, "policy", "", "only leads governed by this LeadPolicy")
	fs.Var(&stages, "stage", "only leads in these stages (repeat or comma-separate)")
	limit := fs.Int("limit", 100, "show at most this many leads")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) > 0 {
		fmt.Fprintln(e.stderr, "leadctl list: unexpected arguments:", strings.Join(pos, " "))
		return exitUsage
	}
	f.Stages = stages
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := open(ctx, e, c)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl list:", err)
		return exitUsage
	}
	defer b.Close()

	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LEAD\tCOMPANY\tSTAGE\tOWNER\tTEAM\tSCORE\tID")
	shown := 0
	for shown < *limit { // bounded: every page shows at least one lead or ends the loop
		f.Limit = min(*limit-shown, 500)
		page, err := b.List(ctx, f)
		if err != nil {
			fmt.Fprintln(e.stderr, "leadctl list:", err)
			return exitError
		}
		for _, l := range page.Leads {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", l.ExternalID, firstNonEmpty(l.Company, l.Domain), l.Stage, l.Owner, l.Team, l.Score, l.ID)
		}
		shown += len(page.Leads)
		if page.NextCursor == "" || len(page.Leads) == 0 {
			break
		}
		f.Cursor = page.NextCursor
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d %s\n", shown, plural(shown, "lead", "leads"))
	return exitOK
}

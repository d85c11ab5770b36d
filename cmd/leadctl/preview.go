package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

const previewHelp = `The proposal (-f) is the whole routing configuration, LeadPolicies and Teams: pass the directory, or
the kustomize output with -f -. For each lead the report shows, next to what the store records happened,
which policy and rule it would take; then the volume per team and per member, the leads that would be
unmatched, disqualified or queued for capacity, the members who would reach or exceed capacity, and the
first-touch SLA outcomes estimated from the recorded touches. Nothing is written: the store is opened
read-only (SQLite mode=ro and query_only; PostgreSQL sessions with default_transaction_read_only, so
every statement runs in a READ ONLY transaction), and a store that is not migrated is refused.

What is replayed:
  --lead ID            one lead of the store (--external: ID is its external id)
  --input FILE         one lead that is not in the store: JSON as the API takes it, optionally with
                       "createdAt" (else --at, else now)
  --since 30d          every lead created in the last 30 days (d, h, m, s; or a Go duration)
  --from T [--to T]    every lead created in [from, to): RFC 3339, or YYYY-MM-DD (UTC; a --to date
                       includes that day); --to defaults to now

How: each lead is decided as it arrived (stage new, no owner, at its createdAt, with its current
marketing fields), by the router's own decision (internal/router.Decide), against:
  - team availability at that instant, from the proposed Teams (out of office, available: false);
  - open load replayed: the leads open when the window starts (routed by then and not yet accepted,
    by the owner the store records; a lead rejected since has no recorded owner and is not counted),
    plus the preview's own assignments; a lead leaves its member's load when the store records it
    accepted or rejected. A lead that would be queued is routed, oldest first, once room frees up
    (a release, or a member back at the next arrival), as the controller's next pass would;
  - rule turns: each round-robin or weighted rule starts from the turn the store's history gives the
    same policy and rule name when the window starts (the last assignee and the count per member
    before it); a new or renamed rule starts from the beginning;
  - account owners as the store holds them now.
First-touch SLA estimate: a lead the proposal routes meets the proposed first-touch SLA when its
recorded time to first touch (touchedAt - routedAt) counted on the proposed team's business hours
(or the wall clock) is within it; "notouch" when it was never touched.

Output: -o table (default), json or csv (the summary; with --leads, or for one lead, one row per
lead). --leads adds every lead's line to the table and json.

--fail-on COND[,COND…] exits 1 (after the report) when a condition holds, naming it on stderr.
COND is NAME OP NUMBER or NAME OP NUMBER% (a percentage of the leads replayed), OP one of
> >= < <= == !=, e.g. --fail-on 'unmatched>0,queued>5%'. Names:
{{names}}
Examples:
  leadctl preview -f config/samples --store sqlite:///var/lib/leadops/leads.db --since 30d
  kustomize build overlays/prod | leadctl preview -f - --from 2027-01-01 --to 2027-03-31 --fail-on 'unmatched>0'
  leadctl preview -f config/samples --lead 0193c1d2-… -o json`

func previewHelpText() string {
	var b strings.Builder
	for _, n := range previewCounterNames {
		fmt.Fprintf(&b, "  %-13s %s\n", n.name, n.means)
	}
	return strings.Replace(previewHelp, "{{names}}\n", b.String(), 1)
}

// previewFiles collects -f, which may repeat.
type previewFiles []string

func (f *previewFiles) String() string { return strings.Join(*f, ",") }
func (f *previewFiles) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// previewOptions are the preview's flags.
type previewOptions struct {
	files            previewFiles
	leadRef, input   string
	external, leads  bool
	since, from, to  string
	at, output, fail string
	namespace        string
}

func runPreview(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("preview", c, e.stderr)
	var o previewOptions
	fs.Var(&o.files, "f", "proposed LeadPolicies and Teams: a file or directory (recursively), or - for stdin; repeat for more")
	fs.Var(&o.files, "filename", "the same as -f")
	fs.StringVar(&o.leadRef, "lead", "", "replay one lead of the store")
	fs.BoolVar(&o.external, "external", false, "--lead is the lead's external id")
	fs.StringVar(&o.input, "input", "", "replay one lead that is not in the store, from a JSON file (- for stdin)")
	fs.StringVar(&o.at, "at", "", "with --input and no createdAt in it: when the lead arrives (RFC 3339; default now)")
	fs.StringVar(&o.since, "since", "", "replay the leads created in this last stretch of time, e.g. 30d")
	fs.StringVar(&o.from, "from", "", "replay the leads created from this instant (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&o.to, "to", "", "... until this instant, exclusive (RFC 3339, or YYYY-MM-DD: that whole day; default now)")
	fs.StringVar(&o.output, "o", "table", "output format: table, json or csv")
	fs.BoolVar(&o.leads, "leads", false, "list every lead, side by side (table, json; csv lists only the leads)")
	fs.StringVar(&o.fail, "fail-on", "", "exit 1 when a condition holds, e.g. 'unmatched>0,queued>5%'")
	fs.StringVar(&o.namespace, "namespace", "", "namespace of proposed objects that name none\n(default: the current kubeconfig context's namespace, else \"default\")")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "leadctl preview: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return usageErr("unexpected arguments: %s (proposal files go after -f)", strings.Join(pos, " "))
	}
	if len(o.files) == 0 {
		return usageErr("say what is proposed: -f FILE|DIR|- (LeadPolicies and Teams)")
	}
	switch o.output {
	case "table", "json", "csv":
	default:
		return usageErr("-o: %q is not table, json or csv", o.output)
	}
	conds, err := parseFailOn(o.fail)
	if err != nil {
		return usageErr("%v", err)
	}
	modes := 0
	for _, set := range []bool{o.leadRef != "", o.input != "", o.since != "" || o.from != "" || o.to != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return usageErr("replay one thing: --lead ID, --input FILE, or a window (--since, or --from/--to)")
	}
	now := time.Now().UTC()
	var window *previewWindow
	if o.leadRef == "" && o.input == "" {
		if window, err = previewParseWindow(o.since, o.from, o.to, now); err != nil {
			return usageErr("%v", err)
		}
	}
	var input *lead.Lead
	if o.input != "" {
		if input, err = previewReadInput(o.input, o.at, e.stdin, now); err != nil {
			return usageErr("--input: %v", err)
		}
	}
	ns := o.namespace
	if ns == "" {
		ns, _ = kubeNamespace(e)
	}
	prop, err := loadProposal(ctx, o.files, e.stdin, ns)
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl preview: the proposal: %v\n", err)
		return exitError
	}
	dsn := c.storeDSN
	if dsn == "" && c.server == "" {
		dsn = e.getenv("LEADCTL_STORE")
	}
	if dsn == "" {
		return usageErr("preview reads the store directly, read-only: give --store DSN (or LEADCTL_STORE); the HTTP API is not used")
	}
	kind, _, err := storeopen.Parse(dsn)
	if err != nil {
		return usageErr("--store: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	st, err := openPreviewStore(ctx, dsn)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl preview:", err)
		return exitError
	}
	defer st.Close()
	rep, err := preview(ctx, st, prop, window, o, input)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl preview:", err)
		return exitError
	}
	rep.Store = string(kind)
	for _, cond := range conds {
		if holds, what := cond.holds(rep); holds {
			rep.Failed = append(rep.Failed, cond.text)
			fmt.Fprintf(e.stderr, "leadctl preview: --fail-on %s holds: %s\n", cond.text, what)
		}
	}
	if err := writePreview(e.stdout, rep, o.output, o.leads); err != nil {
		fmt.Fprintln(e.stderr, "leadctl preview:", err)
		return exitError
	}
	if len(rep.Failed) > 0 {
		return exitError
	}
	return exitOK
}

// openPreviewStore opens the store a DSN names read-only: every write through it fails.
func openPreviewStore(ctx context.Context, dsn string) (store.Backend, error) {
	return storeopen.Open(ctx, dsn, store.Options{ReadOnly: true})
}

// preview gathers the leads to replay, replays them and builds the report.
func preview(ctx context.Context, st previewStore, prop *previewProposal, window *previewWindow, o previewOptions, input *lead.Lead) (*previewReport, error) {
	var (
		leads   []*lead.Lead
		start   time.Time
		inStore = true
	)
	switch {
	case input != nil:
		leads, start, inStore = []*lead.Lead{input}, input.CreatedAt, false
	case o.leadRef != "":
		var (
			l   *lead.Lead
			err error
		)
		if o.external {
			l, err = st.GetLeadByExternalID(ctx, o.leadRef)
		} else {
			l, err = st.GetLead(ctx, o.leadRef)
		}
		if err != nil {
			return nil, notFoundOr(err, o.leadRef, o.external)
		}
		leads, start = []*lead.Lead{l}, l.CreatedAt
	default:
		q := store.GoalQuery{Metric: string(goals.MetricNewLeads), Start: window.From, End: window.To, Now: window.To}
		if err := st.GoalLeads(ctx, q, func(l *lead.Lead) error {
			leads = append(leads, l)
			return nil
		}); err != nil {
			return nil, err
		}
		sort.Slice(leads, func(i, j int) bool {
			if !leads[i].CreatedAt.Equal(leads[j].CreatedAt) {
				return leads[i].CreatedAt.Before(leads[j].CreatedAt)
			}
			return leads[i].ID < leads[j].ID
		})
		start = window.From
	}
	results, r, err := replayPreview(ctx, st, prop, start, leads, inStore)
	if err != nil {
		return nil, err
	}
	rep := buildPreviewReport(prop, r, results)
	rep.Window, rep.single = window, window == nil
	return rep, nil
}

func notFoundOr(err error, ref string, external bool) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(ref, external)
	}
	return err
}

// previewParseWindow reads --since or --from/--to.
func previewParseWindow(since, from, to string, now time.Time) (*previewWindow, error) {
	if since != "" {
		if from != "" || to != "" {
			return nil, errors.New("give --since or --from/--to, not both")
		}
		d, err := previewParseSince(since)
		if err != nil {
			return nil, err
		}
		return &previewWindow{From: now.Add(-d), To: now}, nil
	}
	if from == "" {
		return nil, errors.New("--to needs --from")
	}
	w := &previewWindow{To: now}
	var err error
	if w.From, err = previewParseTime("--from", from, false); err != nil {
		return nil, err
	}
	if to != "" {
		if w.To, err = previewParseTime("--to", to, true); err != nil {
			return nil, err
		}
	}
	if !w.From.Before(w.To) {
		return nil, fmt.Errorf("the window [%s, %s) is empty", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	}
	return w, nil
}

// previewParseSince reads 30d, 12h, 1h30m, or 2w.
func previewParseSince(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	switch {
	case strings.HasSuffix(s, "d"), strings.HasSuffix(s, "w"):
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		var n int
		if n, err = strconv.Atoi(s[:len(s)-1]); err == nil {
			d = time.Duration(n) * unit
		}
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--since: %q is not a positive duration such as 30d, 2w, 12h", s)
	}
	return d, nil
}

// previewParseTime reads RFC 3339 or a date (UTC midnight; the next midnight for an end, so that
// --to 2027-03-31 includes the 31st).
func previewParseTime(flag, s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is neither RFC 3339 (2027-03-01T09:00:00Z) nor a date (2027-03-01)", flag, s)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// previewInput is the --input file: a lead as the API takes it, with optional id and createdAt.
type previewInput struct {
	store.LeadInput
	ID        string     `json:"id,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

func previewReadInput(path, at string, stdin io.Reader, now time.Time) (*lead.Lead, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var in previewInput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	created := now
	switch {
	case in.CreatedAt != nil:
		created = in.CreatedAt.UTC()
	case at != "":
		if created, err = previewParseTime("--at", at, false); err != nil {
			return nil, err
		}
	}
	id := firstNonEmpty(in.ID, in.ExternalID, "input")
	return &lead.Lead{
		ID: id, ExternalID: in.ExternalID, Email: in.Email, Name: in.Name, Company: in.Company, Domain: in.Domain,
		Country: in.Country, Industry: in.Industry, Employees: in.Employees, Source: in.Source, Campaign: in.Campaign,
		Score: in.Score, Attributes: in.Attributes, Stage: lead.StageNew, CreatedAt: created, UpdatedAt: created,
	}, nil
}

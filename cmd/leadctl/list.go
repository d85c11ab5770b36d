package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

const listHelp = `Teams and LeadPolicies are namespaced Kubernetes objects, and leads name them as NAMESPACE/NAME.
--team and --policy take NAMESPACE/NAME, or a bare NAME in --namespace; without --namespace, in the
namespace of the current kubeconfig context ($KUBECONFIG or ~/.kube/config), else "default".

  leadctl list --team sales/sdr --stage routed      # the SDR team's leads waiting for a first touch
  leadctl list --team sdr --namespace sales         # the same
  leadctl list --owner alice --stage routed,touched # a rep's open queue
  leadctl list --policy default/inbound --breached  # leads with a recorded SLA breach, open ones first

Leads are listed oldest first; with --breached and no --stage, the open ones (routed, touched,
accepted) come first, then the others, each oldest first.`

// stagesFlag collects --stage, which may repeat or be comma-separated.
type stagesFlag []lead.Stage

func (s *stagesFlag) String() string { return "" }
func (s *stagesFlag) Set(v string) error {
	for _, st := range strings.Split(v, ",") {
		*s = append(*s, lead.Stage(strings.TrimSpace(st)))
	}
	return nil
}

// openStages are the stages in which a lead still waits for sales.
var openStages = []lead.Stage{lead.StageRouted, lead.StageTouched, lead.StageAccepted}

func runList(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("list", c, e.stderr)
	var f store.ListFilter
	var stages stagesFlag
	fs.StringVar(&f.Owner, "owner", "", "only this rep's leads")
	fs.StringVar(&f.Team, "team", "", "only this team's leads: NAMESPACE/NAME, or NAME in --namespace")
	fs.StringVar(&f.Policy, "policy", "", "only leads governed by this LeadPolicy: NAMESPACE/NAME, or NAME in --namespace")
	namespace := fs.String("namespace", "", "namespace of a bare --team or --policy name\n(default: the current kubeconfig context's namespace, else \"default\")")
	fs.BoolVar(&f.Breached, "breached", false, "only leads with at least one recorded SLA breach, open ones first")
	fs.Var(&stages, "stage", "only leads in these stages (repeat or comma-separate): "+stageNames())
	limit := fs.Int("limit", 100, "show at most this many leads")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(e.stderr, "leadctl list: unexpected arguments:", strings.Join(pos, " "))
		return exitUsage
	}
	for _, st := range stages {
		if !st.Valid() {
			fmt.Fprintf(e.stderr, "leadctl list: --stage: %q is not a stage (one of %s)\n", st, stageNames())
			return exitUsage
		}
	}
	// A bare name used to match nothing, silently: qualify it the way leads store it.
	ns, nsFrom := *namespace, "--namespace"
	var qualified []string
	for _, ref := range []struct {
		flag string
		v    *string
	}{{"team", &f.Team}, {"policy", &f.Policy}} {
		if *ref.v == "" {
			continue
		}
		if ns == "" && !strings.Contains(*ref.v, "/") {
			ns, nsFrom = kubeNamespace(e)
		}
		full, err := api.QualifyName(*ref.v, ns)
		if err != nil {
			fmt.Fprintf(e.stderr, "leadctl list: --%s %s\n", ref.flag, err)
			return exitUsage
		}
		if full != *ref.v {
			qualified = append(qualified, fmt.Sprintf("%s %q", ref.flag, full))
		}
		*ref.v = full
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := open(ctx, e, c)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl list:", err)
		return exitUsage
	}
	defer b.Close()

	passes := [][]lead.Stage{stages}
	if f.Breached && len(stages) == 0 {
		var closed []lead.Stage
		for _, st := range lead.Stages {
			if !slices.Contains(openStages, st) {
				closed = append(closed, st)
			}
		}
		passes = [][]lead.Stage{openStages, closed}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	header := "LEAD\tCOMPANY\tSTAGE\tOWNER\tTEAM\tSCORE"
	if f.Breached {
		header += "\tBREACHES"
	}
	fmt.Fprintln(tw, header+"\tID")
	shown := 0
	for _, st := range passes {
		f.Stages, f.Cursor = st, ""
		for shown < *limit { // bounded: every page shows at least one lead or ends the loop
			f.Limit = min(*limit-shown, api.MaxPageSize)
			page, err := b.List(ctx, f)
			if err != nil {
				fmt.Fprintln(e.stderr, "leadctl list:", err)
				return exitError
			}
			for _, l := range page.Leads {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d", l.ExternalID, firstNonEmpty(l.Company, l.Domain), l.Stage, l.Owner, l.Team, l.Score)
				if f.Breached {
					fmt.Fprintf(tw, "\t%d", l.BreachCount)
				}
				fmt.Fprintf(tw, "\t%s\n", l.ID)
			}
			shown += len(page.Leads)
			if page.NextCursor == "" || len(page.Leads) == 0 {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d %s\n", shown, plural(shown, "lead", "leads"))
	if shown == 0 && len(qualified) > 0 {
		fmt.Fprintf(e.stderr, "leadctl list: no leads for %s (namespace from %s); teams and policies are NAMESPACE/NAME: "+
			"give the full name or --namespace\n", strings.Join(qualified, " and "), nsFrom)
	}
	return exitOK
}

func stageNames() string {
	names := make([]string, len(lead.Stages))
	for i, s := range lead.Stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// kubeNamespace is the namespace of the current kubeconfig context, the one kubectl would use, and
// where it came from. Reading a missing or broken kubeconfig is not an error: reps without cluster
// access use the default namespace.
func kubeNamespace(e env) (ns, from string) {
	rules := &clientcmd.ClientConfigLoadingRules{}
	if kc := e.getenv("KUBECONFIG"); kc != "" {
		rules.Precedence = filepath.SplitList(kc)
	} else if home := e.getenv("HOME"); home != "" {
		rules.Precedence = []string{filepath.Join(home, ".kube", "config")}
	}
	if len(rules.Precedence) > 0 {
		if cfg, err := rules.Load(); err == nil && cfg != nil {
			if kctx := cfg.Contexts[cfg.CurrentContext]; kctx != nil && kctx.Namespace != "" {
				return kctx.Namespace, fmt.Sprintf("kubeconfig context %q", cfg.CurrentContext)
			}
		}
	}
	return api.DefaultNamespace, "the default"
}

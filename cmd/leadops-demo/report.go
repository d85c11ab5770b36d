package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
)

// leadctlCommand is how the printed commands run leadctl: the binary next to this one (make demo
// builds both into ./bin), else go run.
func leadctlCommand() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "leadctl")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			if wd, err := os.Getwd(); err == nil {
				if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
					return "./" + rel
				}
			}
			return p
		}
	}
	return "go run ./cmd/leadctl"
}

func (d *demo) printWelcome(start time.Time) {
	ny, _ := time.LoadLocation("America/New_York")
	lc := leadctlCommand()
	ns := d.cfg.namespace
	fmt.Fprintf(d.out, `
leadops demo is running. Simulated time runs %gx faster than the wall clock, from %s:
the samples' one-business-hour first-touch SLA runs out in %s of real time.

  kubeconfig   %s
  lead API     %s   (token: %s; token file for leadctl: %s)
  metrics      %s
  demo files   %s   (manager.log, leads.db, api-tokens)

Try, in another shell:

  export KUBECONFIG=%s
  kubectl get leadpolicies,teams,teamgoals -n %s
  kubectl get leadpolicies -n %s -o wide
  kubectl describe leadpolicy inbound -n %s
  kubectl get events -n %s --field-selector reason=SLABreached
  kubectl get teamgoals -n %s -o wide

  %s list --server %s --token-file %s --team %s/sdr --stage routed
  %s list --server %s --token-file %s --owner sdr-lead-01    # escalated to the SDR manager
  %s get --external web-00001 --server %s --token-file %s   # a lead and its audit trail

  curl -s -H 'Authorization: Bearer %s' '%s/v1/leads?stage=routed&limit=5'
  curl -s -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \
    -d '{"externalId":"my-first-lead","company":"Example Co (demo)","domain":"example-co.example","employees":1500,"source":"web-form","score":80}' \
    %s/v1/leads
  curl -s %s | grep '^leadops_'

Leads stream in and simulated reps work them; a status line follows every %s. Ctrl-C stops everything.

`, d.cfg.speed, start.In(ny).Format("Mon 2006-01-02 15:04 MST (America/New_York)"), d.clock.RealDuration(time.Hour).Round(time.Second),
		d.kubeconfig, d.apiURL, d.userToken, d.tokenFile, d.metricsURL, d.dir,
		d.kubeconfig, ns, ns, ns, ns, ns,
		lc, d.apiURL, d.tokenFile, ns,
		lc, d.apiURL, d.tokenFile,
		lc, d.apiURL, d.tokenFile,
		d.userToken, d.apiURL,
		d.userToken, d.apiURL,
		d.metricsURL,
		d.cfg.status)
}

// observed is what a user would look for, and when it first showed (real time since the demo started).
type observed struct {
	started                         time.Time
	routed, breach, breachCondition time.Duration
}

// reportLoop prints a status line every `every`, and a line the first time leads are routed, a breach
// is recorded and the SLABreached condition turns True.
func (d *demo) reportLoop(ctx context.Context, every time.Duration, sim *simulator) {
	obs := &observed{started: time.Now()}
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	lastLine := time.Now()
	baseline := int64(-1) // leads routed before the demo (the seeded history)
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		pol := &leadopsv1.LeadPolicy{}
		if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: d.cfg.namespace, Name: "inbound"}, pol); err != nil {
			continue
		}
		since := time.Since(obs.started).Round(time.Second)
		sim := d.clock.Now().In(sim.ny).Format("Mon 15:04")
		if baseline < 0 && pol.Status.ObservedGeneration > 0 {
			baseline = pol.Status.Routed
		}
		if obs.routed == 0 && baseline >= 0 && pol.Status.Routed > baseline {
			obs.routed = since
			fmt.Fprintf(d.out, "→ %s (simulated %s): live leads routed; `kubectl get leadpolicies` shows Routed %d (%d of them seeded history)\n",
				since, sim, pol.Status.Routed, baseline)
		}
		if obs.breach == 0 && pol.Status.LastBreachTime != nil {
			obs.breach = since
			fmt.Fprintf(d.out, "→ %s (simulated %s): first SLA breach recorded (lastBreachTime %s); the lead was reassigned\n", since, sim,
				pol.Status.LastBreachTime.In(d.clockLocation()).Format("15:04"))
		}
		if c := meta.FindStatusCondition(pol.Status.Conditions, leadopsv1.ConditionSLABreached); obs.breachCondition == 0 && c != nil && c.Status == "True" {
			obs.breachCondition = since
			fmt.Fprintf(d.out, "→ %s (simulated %s): SLABreached=True: %s\n", since, sim, c.Message)
		}
		if time.Since(lastLine) >= every {
			lastLine = time.Now()
			fmt.Fprintln(d.out, d.statusLine(ctx, pol))
		}
	}
}

func (d *demo) clockLocation() *time.Location {
	ny, _ := time.LoadLocation("America/New_York")
	return ny
}

// statusLine condenses what `kubectl get leadpolicies,teamgoals` shows.
func (d *demo) statusLine(ctx context.Context, pol *leadopsv1.LeadPolicy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[simulated %s] inbound: routed %d, open %d, overdue %d, compliance %s",
		d.clock.Now().In(d.clockLocation()).Format("Mon 15:04"), pol.Status.Routed, pol.Status.Open, pol.Status.Breached,
		orDash(pol.Status.Compliance))
	if c := meta.FindStatusCondition(pol.Status.Conditions, leadopsv1.ConditionSLABreached); c != nil {
		fmt.Fprintf(&b, ", SLABreached=%s", c.Status)
	}
	var goals leadopsv1.TeamGoalList
	if err := d.k8s.List(ctx, &goals, client.InNamespace(d.cfg.namespace)); err == nil {
		for _, g := range goals.Items {
			reason := ""
			if c := meta.FindStatusCondition(g.Status.Conditions, leadopsv1.ConditionOnTrack); c != nil {
				reason = " " + c.Reason
			}
			fmt.Fprintf(&b, " | %s %s/%s%s", g.Name, orDash(g.Status.Current), orDash(g.Status.Target), reason)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (d *demo) printSummary(ctx context.Context, sim *simulator) {
	st := sim.snapshot()
	fmt.Fprintf(d.out, "\nSimulated reps: %d leads sent, %d touched, %d left to go stale, %d accepted, %d rejected, %d won ($%.0f), %d lost.\n",
		st.Sent, st.Touched, st.Ignored, st.Accepted, st.Rejected, st.Won, st.Revenue, st.Lost)
	pol := &leadopsv1.LeadPolicy{}
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: d.cfg.namespace, Name: "inbound"}, pol); err == nil {
		fmt.Fprintln(d.out, d.statusLine(ctx, pol))
	}
	fmt.Fprintln(d.out, "Stopping the manager, kube-apiserver and etcd…")
}

package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/goals"
	"github.com/leadops/leadops/internal/policy"
	"github.com/leadops/leadops/internal/roster"
	"github.com/leadops/leadops/internal/slaclock"
)

// teamLookup finds a Team that the files do not define (in the cluster, with --cluster). found is
// false when it does not exist.
type teamLookup func(ctx context.Context, namespace, name string) (team *leadopsv1.Team, found bool, err error)

// teamEntry is a Team the checks can route to: defined in the files, or found in the cluster.
type teamEntry struct {
	obj    *object // nil for a Team of the cluster
	spec   *leadopsv1.TeamSpec
	parsed *policy.Team // nil when it does not parse
}

// checkObjects runs what only leadops knows over the admitted objects of the set.
func checkObjects(ctx context.Context, objects []*object, o validateOptions, lookup teamLookup) []diagnostic {
	var out []diagnostic
	teams := map[string]*teamEntry{}  // namespace/name → Team of the set or the cluster
	teamsDefined := map[string]bool{} // namespace/name of every Team in the files, refused or not
	routedTo := map[string]bool{}     // namespace/name of every Team some rule routes to
	compiled := map[*object]*policy.Compiled{}
	for _, obj := range objects {
		if obj.gvk.Kind == "Team" {
			teamsDefined[obj.key()] = true
		}
		if obj.policy != nil {
			for _, r := range obj.policy.Spec.Rules {
				routedTo[obj.namespace+"/"+r.TeamRef.Name] = true
			}
		}
	}

	// Teams: timezone, holidays, out of office, working time, as the Team reconciler parses them.
	for _, obj := range objects {
		if obj.team == nil {
			continue
		}
		t, specErr := policy.ParseTeam(&obj.team.Spec)
		if specErr != nil {
			out = append(out, obj.specErr(specErr))
		}
		teams[obj.key()] = &teamEntry{obj: obj, spec: &obj.team.Spec, parsed: t}
	}

	// A Team the files do not define, looked up once in the cluster.
	clusterErrs := map[string]bool{}
	resolve := func(obj *object, name, path string) (*teamEntry, *diagnostic) {
		key := obj.namespace + "/" + name
		if e, ok := teams[key]; ok {
			return e, nil
		}
		if teamsDefined[key] {
			return nil, nil // defined, but refused by the API server: that is reported already
		}
		if lookup != nil {
			t, found, err := lookup(ctx, obj.namespace, name)
			if err != nil {
				if clusterErrs[key] {
					return nil, nil
				}
				clusterErrs[key] = true
				d := obj.diag(path, sevError, checkReference, fmt.Sprintf("%s: looking up Team %q in namespace %q in the cluster: %v", path, name, obj.namespace, err))
				return nil, &d
			}
			if found {
				parsed, _ := policy.ParseTeam(&t.Spec)
				e := &teamEntry{spec: &t.Spec, parsed: parsed}
				teams[key] = e
				return e, nil
			}
		}
		// The controller's own message (controllers/teamrefs.go), with its reason.
		se := policy.FieldSpecError(leadopsv1.ReasonTeamNotFound, path,
			"Team %q does not exist in namespace %q; create it or fix the reference", name, obj.namespace)
		d := obj.specErr(se)
		if lookup == nil {
			d.Message += " (not in the files validated; --cluster also looks in the cluster)"
		}
		return nil, &d
	}

	for _, obj := range objects {
		switch {
		case obj.policy != nil:
			cp, diags := checkPolicyExpressions(obj)
			out = append(out, diags...)
			compiled[obj] = cp
			var policyTeams []*teamEntry
			for i, r := range obj.policy.Spec.Rules {
				e, d := resolve(obj, r.TeamRef.Name, fmt.Sprintf("spec.rules[%d].teamRef", i))
				if d != nil {
					out = append(out, *d)
				}
				if e != nil {
					policyTeams = append(policyTeams, e)
				}
			}
			out = append(out, unreachableRules(obj)...)
			out = append(out, slaGaps(obj, policyTeams, o)...)
		case obj.goal != nil:
			out = append(out, checkGoal(obj, resolve)...)
		}
	}

	// Teams nobody could take a lead from.
	for _, obj := range objects {
		if e := teams[obj.key()]; obj.team != nil && e != nil && e.parsed != nil {
			if d, ok := unavailableTeam(obj, e.parsed, routedTo[obj.key()], o); ok {
				out = append(out, d)
			}
		}
	}
	out = append(out, overlappingPolicies(objects, compiled)...)
	return out
}

// specErr is the diagnostic of a spec error the controller would report: its message (the
// condition's) at its field, with its Ready reason.
func (o *object) specErr(se *policy.SpecError) diagnostic {
	d := o.diag(se.Field.Path, sevError, checkController, se.Error())
	if se.Reason == leadopsv1.ReasonTeamNotFound {
		d.Check = checkReference
	}
	d.Reason = se.Reason
	return d
}

// exprSpecErr is specErr for an expression's compile error, placed inside the expression.
func (o *object) exprSpecErr(se *policy.SpecError) diagnostic {
	d := o.doc.exprDiag(se.Field.Path, sevError, checkController, se.Error())
	o.label(&d)
	d.Reason = se.Reason
	return d
}

// checkPolicyExpressions compiles the policy as the controller does (policy.Compile stops at the first
// error, which is the one its Ready condition shows), then each expression on its own, so that every
// broken expression is reported at once.
func checkPolicyExpressions(obj *object) (*policy.Compiled, []diagnostic) {
	p := obj.policy
	cp, first := policy.Compile(p)
	var out []diagnostic
	reported := map[string]bool{}
	if first != nil {
		if strings.HasPrefix(first.Field.Path, "spec.sla") {
			out = append(out, obj.specErr(first))
		} else {
			out = append(out, obj.exprSpecErr(first))
		}
		reported[first.Error()] = true
	}
	exprs := []struct {
		path string
		expr leadopsv1.Expression
	}{{"spec.selector", p.Spec.Selector}}
	if q := p.Spec.Qualification; q != nil {
		exprs = append(exprs, struct {
			path string
			expr leadopsv1.Expression
		}{"spec.qualification.expression", q.Expression})
	}
	for i, r := range p.Spec.Rules {
		exprs = append(exprs, struct {
			path string
			expr leadopsv1.Expression
		}{fmt.Sprintf("spec.rules[%d].when", i), r.When})
	}
	for _, x := range exprs {
		if _, se := policy.CompileExpression(x.path, x.expr); se != nil && !reported[se.Error()] {
			reported[se.Error()] = true
			out = append(out, obj.exprSpecErr(se))
		}
	}
	return cp, out
}

// checkGoal is the TeamGoal reconciler's checks: the filter compiles, the team exists, the period
// resolves in the team's timezone and the target suits the metric.
func checkGoal(obj *object, resolve func(*object, string, string) (*teamEntry, *diagnostic)) []diagnostic {
	g := obj.goal
	var out []diagnostic
	if _, se := policy.CompileExpression("spec.filter", g.Spec.Filter); se != nil {
		out = append(out, obj.exprSpecErr(se))
	}
	loc := time.UTC
	e, d := resolve(obj, g.Spec.TeamRef.Name, "spec.teamRef")
	if d != nil {
		out = append(out, *d)
	}
	if e != nil && e.parsed != nil {
		loc = e.parsed.Location
	}
	ps, ts := policy.GoalSpec(g)
	if _, err := goals.ResolvePeriod(ps, loc); err != nil {
		out = append(out, obj.specErr(policy.GoalSpecError(err)))
	}
	if err := ts.Validate(goals.Metric(g.Spec.Metric)); err != nil {
		out = append(out, obj.specErr(policy.GoalSpecError(err)))
	}
	return out
}

// unconditional reports whether a rule's `when` matches every lead.
func unconditional(when leadopsv1.Expression) bool {
	w := strings.TrimSpace(string(when))
	return w == "" || w == "true"
}

// unreachableRules warns of rules that no lead can reach: after a rule that matches every lead and
// keeps it, or after a rule with the same `when` that keeps the lead. An AccountOwner rule keeps a lead
// only when its account's owner is an available member with room, else the next rule applies, so it
// shadows nothing.
func unreachableRules(obj *object) []diagnostic {
	var out []diagnostic
	rules := obj.policy.Spec.Rules
	keeps := func(r leadopsv1.RoutingRule) bool { return r.Strategy != leadopsv1.StrategyAccountOwner }
	for j := range rules {
		for i := 0; i < j; i++ {
			ri := rules[i]
			if !keeps(ri) {
				continue
			}
			var why string
			switch {
			case unconditional(ri.When):
				why = fmt.Sprintf("rule %q before it (spec.rules[%d]) matches every lead and keeps it (a %s rule does not pass a lead on)", ri.Name, i, ri.Strategy)
			case strings.Join(strings.Fields(string(ri.When)), " ") == strings.Join(strings.Fields(string(rules[j].When)), " "):
				why = fmt.Sprintf("rule %q before it (spec.rules[%d]) has the same condition and keeps every lead it matches", ri.Name, i)
			default:
				continue
			}
			out = append(out, obj.diag(fmt.Sprintf("spec.rules[%d]", j), sevWarning, checkRules,
				fmt.Sprintf("spec.rules[%d]: rule %q is unreachable: %s", j, rules[j].Name, why)))
			break
		}
	}
	return out
}

// unavailableTeam warns of a team whose members can take no lead over the window: every member is
// switched off (available: false) or out of office throughout; or a team with no members that a
// policy routes to.
func unavailableTeam(obj *object, t *policy.Team, routed bool, o validateOptions) (diagnostic, bool) {
	from, to := o.at, o.at.Add(o.window)
	span := fmt.Sprintf("from %s to %s", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	if len(t.Members) == 0 {
		if !routed {
			return diagnostic{}, false
		}
		return obj.diag("spec", sevWarning, checkTeam, fmt.Sprintf(
			"spec.members: team %q has no members, so the leads a policy routes to it wait in its queue", obj.name)), true
	}
	var off, away int
	for _, m := range t.Members {
		switch {
		case !m.Enabled:
			off++
		case awayThroughout(m.Away, from, to):
			away++
		default:
			return diagnostic{}, false
		}
	}
	var why []string
	if off > 0 {
		why = append(why, fmt.Sprintf("%d %s available: false", off, plural(off, "member is", "members are")))
	}
	if away > 0 {
		why = append(why, fmt.Sprintf("%d %s out of office throughout", away, plural(away, "member is", "members are")))
	}
	return obj.diag("spec.members", sevWarning, checkTeam, fmt.Sprintf(
		"spec.members: no member of team %q can take a lead %s (%s): leads routed to it wait in its queue",
		obj.name, span, strings.Join(why, ", "))), true
}

// awayThroughout reports whether the periods cover [from, to).
func awayThroughout(periods []roster.Period, from, to time.Time) bool {
	ps := append([]roster.Period(nil), periods...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Start.Before(ps[j].Start) })
	covered := from
	for _, p := range ps {
		if p.Start.After(covered) {
			return false
		}
		if p.End.After(covered) {
			covered = p.End
		}
		if !covered.Before(to) {
			return true
		}
	}
	return !covered.Before(to)
}

// slaGaps warns of a wall-clock SLA target shorter than the longest time between two working blocks
// of a team the policy routes to.
func slaGaps(obj *object, teams []*teamEntry, o validateOptions) []diagnostic {
	h := obj.policy.Spec.SLA
	if h == nil {
		return nil
	}
	var out []diagnostic
	for _, t := range []struct {
		path   string
		target *leadopsv1.SLATarget
	}{{"spec.sla.firstTouch", h.FirstTouch}, {"spec.sla.acceptance", h.Acceptance}} {
		if t.target == nil || t.target.Clock != leadopsv1.ClockWallClock {
			continue
		}
		within, err := time.ParseDuration(string(t.target.Within))
		if err != nil {
			continue // reported by policy.Compile
		}
		var worst gap
		var worstTeam string
		var loc *time.Location
		seen := map[*teamEntry]bool{}
		for _, e := range teams {
			if seen[e] || e.parsed == nil {
				continue
			}
			seen[e] = true
			if g := longestGap(e.parsed.Calendar, o.at, o.at.Add(o.window)); g.length() > worst.length() {
				worst, worstTeam, loc = g, teamName(e), e.parsed.Location
			}
		}
		if worst.length() <= within {
			continue
		}
		out = append(out, obj.diag(t.path+".within", sevWarning, checkSLA, fmt.Sprintf(
			"%s.within: %s on the wall clock is shorter than the %s during which team %q does not work (%s to %s %s): "+
				"a lead routed as the team stops work breaches before anyone is back; use clock: BusinessHours, or allow at least %s",
			t.path, t.target.Within, formatGap(worst.length()), worstTeam,
			worst.start.In(loc).Format("Mon 2006-01-02 15:04"), worst.end.In(loc).Format("Mon 2006-01-02 15:04"), loc,
			formatGap(worst.length()))))
	}
	return out
}

func teamName(e *teamEntry) string {
	if e.obj != nil {
		return e.obj.name
	}
	return "(cluster)"
}

// gap is a stretch of time without working hours.
type gap struct{ start, end time.Time }

func (g gap) length() time.Duration { return g.end.Sub(g.start) }

// formatGap prints a duration in whole hours and minutes ("63h", "14h30m").
func formatGap(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// longestGap is the longest time between the end of a working block and the start of the next one,
// for blocks that end in [from, to), on the business-hours clock of the calendar (its Deadline is the
// one source of truth for working hours, holidays and daylight saving).
func longestGap(cal *slaclock.Calendar, from, to time.Time) gap {
	var worst gap
	t := from
	for guard := 0; guard < 1000 && t.Before(to); guard++ {
		open, ok := nextOpening(cal, t)
		if !ok {
			return worst
		}
		end := blockEnd(cal, open)
		if !end.Before(to) {
			return worst
		}
		next, ok := nextOpening(cal, end)
		if !ok {
			return worst
		}
		if g := (gap{end, next}); g.length() > worst.length() {
			worst = g
		}
		t = next
	}
	return worst
}

// nextOpening is the first working instant at or after t.
func nextOpening(cal *slaclock.Calendar, t time.Time) (time.Time, bool) {
	d, err := cal.Deadline(t, time.Nanosecond)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(-time.Nanosecond), true
}

// blockEnd is the end of the working time that runs without a break from open (a working instant), to
// the minute, looking at most 8 days ahead.
func blockEnd(cal *slaclock.Calendar, open time.Time) time.Time {
	working := func(d time.Duration) bool {
		dl, err := cal.Deadline(open, d)
		return err == nil && dl.Equal(open.Add(d))
	}
	lo, hi := time.Duration(0), 8*24*time.Hour // working(lo) holds
	if working(hi) {
		return open.Add(hi)
	}
	for hi-lo > time.Minute {
		mid := lo + (hi-lo)/2
		if working(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	// Minute-aligned ends: take the last whole minute that is still working.
	end := open.Add(lo).Truncate(time.Minute)
	if next := end.Add(time.Minute); working(next.Sub(open)) {
		end = next
	}
	return end
}

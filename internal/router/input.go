package router

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/sla"
	"github.com/leadops/leadops/internal/slaclock"
)

// Input is what one pass needs from outside the lead store, in plain Go.
type Input struct {
	// Policies are the valid LeadPolicies, compiled; Run orders them by priority.
	Policies []*Policy
	// Teams are the valid Teams by namespace and name.
	Teams map[TeamKey]*Team
	// Now is the pass's instant: deadlines count from it and breaches are due at or before it.
	Now time.Time
	// Experiments are the valid LeadExperiments over policy arms (see Experiment): their arms decide
	// which policy governs the leads in their scope, before policy selection.
	Experiments []*Experiment
}

// Policy is one LeadPolicy generation: its routing view plus what the SLA enforcement needs.
type Policy struct {
	*routing.Policy
	// SLA is nil when the policy sets no deadlines.
	SLA      *sla.Spec
	OnBreach OnBreach
	// Duplicates is spec.duplicates: DuplicatesAttach (also when empty), DuplicatesRouteToSameOwner
	// or DuplicatesRoute.
	Duplicates string
}

// OnBreach is what happens when a handoff misses its deadline.
type OnBreach struct {
	Reassign          bool
	MaxReassignments  int
	EscalateToManager bool
}

// TeamKey names a Team.
type TeamKey struct{ Namespace, Name string }

func (k TeamKey) String() string { return k.Namespace + "/" + k.Name }

// ParseTeamKey reads the "namespace/name" a lead stores as its team.
func ParseTeamKey(s string) (TeamKey, bool) {
	ns, name, ok := strings.Cut(s, "/")
	return TeamKey{Namespace: ns, Name: name}, ok && ns != "" && name != ""
}

// Team is a snapshot of one Team at the pass's instant.
type Team struct {
	// Members are the candidates; Open is filled in by the router from the store's open load.
	Members []routing.Candidate
	// Calendar is the team's business hours, for business-hours SLAs; nil when it has none.
	Calendar *slaclock.Calendar
	// Manager takes escalated leads.
	Manager string
}

// sorted returns the policies in decision order and the fingerprint of the set (names and
// generations): a lead's match stays valid while the fingerprint does.
func (in *Input) sorted() ([]*Policy, []*routing.Policy, string) {
	ps := append([]*Policy(nil), in.Policies...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority > ps[j].Priority
		}
		return ps[i].Key() < ps[j].Key()
	})
	rps := make([]*routing.Policy, len(ps))
	fp := make([]string, len(ps))
	for i, p := range ps {
		rps[i] = p.Policy
		fp[i] = p.Key() + "@" + strconv.FormatInt(p.Generation, 10)
	}
	sort.Strings(fp)
	return ps, rps, strings.Join(fp, ",")
}

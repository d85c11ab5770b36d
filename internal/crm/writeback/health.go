package writeback

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leadops/leadops/internal/sla"
)

// Health is the write-back state of the leads one LeadPolicy routed, across the connections their
// CRM records belong to, as this process has seen it since it started (it lives in memory on the
// leader, which runs both the workers and the LeadPolicy reconciler).
type Health struct {
	Connections []string
	// Written and Failed count owners acknowledged by the CRM and owners given up on (a record the
	// CRM refused on every attempt, or an owner with no CRM user).
	Written, Failed int64
	// LastFailure is the CRM's code for the last owner given up on, at LastFailureAt.
	LastFailure   string
	LastFailureAt time.Time
	// Blocked is why the last batch could not be written at all (the CRM unreachable, credentials
	// refused, rate limited for too long); empty once a batch goes through.
	Blocked string
	// PendingSince is when the oldest owner change not yet acknowledged was recorded; zero when
	// every change seen is written.
	PendingSince time.Time
}

// Thresholds turn Health into a verdict.
type Thresholds struct {
	// Lag is how old the oldest unwritten owner change may grow before write-back counts as lagging.
	Lag time.Duration
	// FailureWindow is how long an owner given up on keeps write-back failing.
	FailureWindow time.Duration
}

// DefaultThresholds are those of the CRMWriteBack condition.
var DefaultThresholds = Thresholds{Lag: 5 * time.Minute, FailureWindow: 15 * time.Minute}

// Verdict reasons, the reasons of the CRMWriteBack condition.
const (
	ReasonHealthy = "WriteBackHealthy"
	ReasonFailing = "WriteBackFailing"
	ReasonLagging = "WriteBackLagging"
)

// Verdict is what a policy's write-back amounts to now.
type Verdict struct {
	Healthy bool
	Reason  string
	Message string
}

// Evaluate judges h at now: failing while a batch is blocked or an owner was given up on within the
// failure window; else lagging while the oldest unwritten change is older than the lag threshold.
// The message carries counts, connection names and CRM error codes only.
func (h Health) Evaluate(now time.Time, t Thresholds) Verdict {
	conns := strings.Join(h.Connections, ", ")
	counts := fmt.Sprintf("%s written, %s given up on since the controller started",
		sla.Plural(h.Written, "owner"), sla.Plural(h.Failed, "owner"))
	lag := time.Duration(0)
	if !h.PendingSince.IsZero() {
		lag = max(now.Sub(h.PendingSince), 0)
	}
	waiting := "caught up"
	if lag > 0 {
		waiting = "oldest unwritten owner change " + sla.FormatDuration(lag.Round(time.Second)) + " old"
	}
	switch {
	case h.Blocked != "":
		return Verdict{Reason: ReasonFailing, Message: fmt.Sprintf("write-back to CRM connection %s is failing: %s; %s; %s",
			conns, h.Blocked, waiting, counts)}
	case h.Failed > 0 && !h.LastFailureAt.IsZero() && now.Sub(h.LastFailureAt) < t.FailureWindow:
		return Verdict{Reason: ReasonFailing, Message: fmt.Sprintf("owners of leads of this policy could not be written to CRM connection %s: the last, %s ago, with %s (see the controller log for the lead id); %s; %s",
			conns, sla.FormatDuration(now.Sub(h.LastFailureAt).Round(time.Second)), h.LastFailure, counts, waiting)}
	case lag > t.Lag:
		return Verdict{Reason: ReasonLagging, Message: fmt.Sprintf("write-back to CRM connection %s lags: %s (threshold %s); %s",
			conns, waiting, sla.FormatDuration(t.Lag), counts)}
	}
	return Verdict{Healthy: true, Reason: ReasonHealthy, Message: fmt.Sprintf("owners reach CRM connection %s: %s; %s", conns, waiting, counts)}
}

// Registry collects the workers' reports per policy for the CRMWriteBack condition. Safe for
// concurrent use; the zero value is not: use NewRegistry.
type Registry struct {
	mu    sync.Mutex
	state map[string]map[string]*Health // policy → connection → health
	// changed is signalled (never blocking) when a policy's health changes.
	changed chan struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{state: map[string]map[string]*Health{}, changed: make(chan struct{}, 1)}
}

// Changed is signalled after reports change, coalesced.
func (r *Registry) Changed() <-chan struct{} { return r.changed }

func (r *Registry) entry(policy, conn string) *Health {
	byConn := r.state[policy]
	if byConn == nil {
		byConn = map[string]*Health{}
		r.state[policy] = byConn
	}
	h := byConn[conn]
	if h == nil {
		h = &Health{Connections: []string{conn}}
		byConn[conn] = h
	}
	return h
}

func (r *Registry) update(policy, conn string, fn func(*Health)) {
	if r == nil || policy == "" {
		return
	}
	r.mu.Lock()
	fn(r.entry(policy, conn))
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Pending records that an owner change of policy, recorded at, awaits the CRM.
func (r *Registry) Pending(policy, conn string, at time.Time) {
	r.update(policy, conn, func(h *Health) {
		if h.PendingSince.IsZero() || at.Before(h.PendingSince) {
			h.PendingSince = at
		}
	})
}

// Written records n owners of policy acknowledged by the CRM.
func (r *Registry) Written(policy, conn string, n int64) {
	r.update(policy, conn, func(h *Health) { h.Written += n })
}

// Failed records an owner of policy given up on, with the CRM's code.
func (r *Registry) Failed(policy, conn, code string, at time.Time) {
	r.update(policy, conn, func(h *Health) { h.Failed, h.LastFailure, h.LastFailureAt = h.Failed+1, code, at })
}

// Blocked records that conn's batch could not be written (why); "" clears it.
func (r *Registry) Blocked(policy, conn, why string) {
	r.update(policy, conn, func(h *Health) { h.Blocked = why })
}

// Settled records that every change of policy conn has seen is written or given up on.
func (r *Registry) Settled(policy, conn string) {
	r.update(policy, conn, func(h *Health) { h.PendingSince, h.Blocked = time.Time{}, "" })
}

// Health returns policy's write-back health over every connection, and false when no worker has
// reported a lead of it (its leads come from no CRM with write-back on).
func (r *Registry) Health(policy string) (Health, bool) {
	if r == nil {
		return Health{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	byConn := r.state[policy]
	if len(byConn) == 0 {
		return Health{}, false
	}
	names := make([]string, 0, len(byConn))
	for n := range byConn {
		names = append(names, n)
	}
	sort.Strings(names)
	var out Health
	var blocked []string
	for _, n := range names {
		h := byConn[n]
		out.Connections = append(out.Connections, n)
		out.Written += h.Written
		out.Failed += h.Failed
		if h.LastFailureAt.After(out.LastFailureAt) {
			out.LastFailure, out.LastFailureAt = h.LastFailure, h.LastFailureAt
		}
		if h.Blocked != "" {
			blocked = append(blocked, h.Blocked)
		}
		if !h.PendingSince.IsZero() && (out.PendingSince.IsZero() || h.PendingSince.Before(out.PendingSince)) {
			out.PendingSince = h.PendingSince
		}
	}
	out.Blocked = strings.Join(blocked, "; ")
	return out, true
}

// Policies lists the policies with reports, sorted.
func (r *Registry) Policies() []string {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.state))
	for p := range r.state {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

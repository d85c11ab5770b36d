package controllers

import (
	"fmt"
	"sync"
	"time"

	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/sla"
)

// expressionErrors remembers, per LeadPolicy generation, the expressions that failed on leads: the
// router records them, the LeadPolicy reconciler turns them into the ExpressionErrors condition. It
// lives in memory on the replica that routes; a new generation starts from zero, and so does a
// restarted controller until an expression fails again (the router's match memo is empty then, so
// every waiting lead is evaluated once more and a failing expression shows again on the first pass).
type expressionErrors struct {
	mu       sync.Mutex
	byPolicy map[string]*expressionErrorStat
}

// expressionErrorStat is one policy generation's failures.
type expressionErrorStat struct {
	Generation int64
	// Count is the number of failed evaluations; each lead fails an expression at most once per
	// version of the lead, since the router does not evaluate it again until the lead changes.
	Count  int64
	Last   routing.EvalError
	LastAt time.Time
	// LastLead is the id of the last lead it failed on (an opaque id, not personal data).
	LastLead string
}

func newExpressionErrors() *expressionErrors {
	return &expressionErrors{byPolicy: map[string]*expressionErrorStat{}}
}

// record counts one failed evaluation of policy's expression under generation.
func (x *expressionErrors) record(e routing.EvalError, generation int64, leadID string, at time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := x.byPolicy[e.Policy]
	if st == nil || st.Generation != generation {
		st = &expressionErrorStat{Generation: generation}
		x.byPolicy[e.Policy] = st
	}
	st.Count++
	st.Last, st.LastAt, st.LastLead = e, at, leadID
}

// get returns the failures of policy's generation, if any.
func (x *expressionErrors) get(policy string, generation int64) (expressionErrorStat, bool) {
	if x == nil {
		return expressionErrorStat{}, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	st := x.byPolicy[policy]
	if st == nil || st.Generation != generation || st.Count == 0 {
		return expressionErrorStat{}, false
	}
	return *st, true
}

// message says what failed, where, and what to do, for the condition and the Event.
func (s expressionErrorStat) message() string {
	return fmt.Sprintf("%s failed on leads under generation %d (those leads moved on to the next policy or rule); last: %s on lead %s: %s. "+
		"Guard the expression (has(), size checks, a cheap condition first) and apply the policy again",
		sla.Plural(s.Count, "expression evaluation"), s.Generation, s.Last.Path(), s.LastLead, s.Last.Err)
}

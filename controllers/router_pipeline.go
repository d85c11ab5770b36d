package controllers

import (
	"context"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/routing"
	"github.com/leadops/leadops/internal/store"
)

// The routing pass is a two-stage pipeline: while one page's decisions are committed, the next
// page is read and decided. A commit is three round trips and the bulk of the store's work; reading
// the next page, looking its accounts up and evaluating its CEL are most of the rest, so overlapping
// them took a 100,000-lead burst on PostgreSQL from 4.1 to 2.5-3.0 times the time of a plain
// batched UPDATE of the same rows, about 7,400 leads/s (BenchmarkRoutingBurst). Decisions of the
// next page already count the loads and turns of the page in flight, exactly as when the pages ran
// one after the other; a failed or conflicting commit makes the router forget its remembered turns
// (finishPage), as before, and a failed one ends the pass before the next page is committed.

// pageDecisions are one page's decisions, in the order of their leads.
type pageDecisions struct {
	changes  []store.Decision
	outcomes []routing.Decision
}

// pageCommit is a page's commit, in flight until done is closed.
type pageCommit struct {
	*pageDecisions
	done      chan struct{}
	applied   []*lead.Lead
	conflicts []string
	err       error
}

// commitPage starts committing the page's decisions (nil when there is nothing to commit).
func (r *RouterReconciler) commitPage(ctx context.Context, page *pageDecisions) *pageCommit {
	if page == nil || len(page.changes) == 0 {
		return nil
	}
	c := &pageCommit{pageDecisions: page, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.applied, c.conflicts, c.err = r.Store.CommitDecisions(ctx, page.changes)
	}()
	return c
}

// settle waits for the commit in flight, if any, and takes in its outcome. It returns err, or the
// commit's error when err is nil: the commit is always waited for, so nothing outlives the pass.
func (r *RouterReconciler) settle(ctx context.Context, p *pass, c *pageCommit, err error) error {
	if c == nil {
		return err
	}
	<-c.done
	if cerr := r.finishPage(ctx, p, c); err == nil {
		err = cerr
	}
	return err
}

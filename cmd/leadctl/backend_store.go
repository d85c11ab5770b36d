package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/storeopen"
)

// storeBackend talks to a store directly, for operators with database access (and for the first
// import before the API runs). The actor recorded in the audit log is --actor.
type storeBackend struct {
	st    leadStore
	actor string
}

// leadStore is what the commands do to a store opened directly: the same reads and writes the API
// serves them.
type leadStore interface {
	UpsertLeads(ctx context.Context, in []store.LeadInput, actor string) ([]*lead.Lead, error)
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	GetLeadByExternalID(ctx context.Context, externalID string) (*lead.Lead, error)
	Audit(ctx context.Context, leadID string) ([]store.AuditEvent, error)
	Apply(ctx context.Context, leadID string, a store.Activity) (*lead.Lead, error)
	ListLeads(ctx context.Context, f store.ListFilter) (store.Page, error)
	Close() error
}

func openStoreBackend(ctx context.Context, dsn, actor string) (backend, error) {
	st, err := storeopen.Open(ctx, dsn, store.Options{DuplicateAttribute: os.Getenv("LEADOPS_DUPLICATE_ATTRIBUTE")})
	if err != nil {
		return nil, err
	}
	return &storeBackend{st: st, actor: actor}, nil
}

// UpsertLeads writes batches of store.MaxBatchSize, each in one transaction: a typical file is one
// transaction, all or nothing.
func (b *storeBackend) UpsertLeads(ctx context.Context, in []store.LeadInput, progress func(int)) error {
	for start := 0; start < len(in); start += store.MaxBatchSize {
		end := min(start+store.MaxBatchSize, len(in))
		if _, err := b.st.UpsertLeads(ctx, in[start:end], b.actor); err != nil {
			return err
		}
		progress(end)
	}
	return nil
}

func (b *storeBackend) Get(ctx context.Context, ref string, external bool) (*lead.Lead, []store.AuditEvent, error) {
	var (
		l   *lead.Lead
		err error
	)
	if external {
		l, err = b.st.GetLeadByExternalID(ctx, ref)
	} else {
		l, err = b.st.GetLead(ctx, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(ref, external)
	}
	if err != nil {
		return nil, nil, err
	}
	events, err := b.st.Audit(ctx, l.ID)
	return l, events, err
}

func (b *storeBackend) Apply(ctx context.Context, id string, a store.Activity) (*lead.Lead, error) {
	a.Actor = b.actor
	l, err := b.st.Apply(ctx, id, a)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(id, false)
	}
	return l, err
}

func (b *storeBackend) List(ctx context.Context, f store.ListFilter) (store.Page, error) {
	return b.st.ListLeads(ctx, f)
}

func (b *storeBackend) Close() error { return b.st.Close() }

// notFound words a missing lead like the API does, so both backends print the same message.
func notFound(ref string, external bool) error {
	if external {
		return fmt.Errorf("no lead with external id %q: %w", ref, store.ErrNotFound)
	}
	return fmt.Errorf("no lead with id %q: %w", ref, store.ErrNotFound)
}

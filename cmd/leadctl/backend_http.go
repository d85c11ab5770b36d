package main

import (
	"context"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/api/client"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

type httpBackend struct{ c *client.Client }

func newHTTPBackend(server, token string) *httpBackend {
	return &httpBackend{c: &client.Client{BaseURL: server, Token: token}}
}

// UpsertLeads sends batches of api.MaxBatchSize. Each batch is all or nothing on the server; a file
// larger than one batch can therefore stop part way, and progress says how far it got.
func (b *httpBackend) UpsertLeads(ctx context.Context, in []store.LeadInput, progress func(int)) error {
	for start := 0; start < len(in); start += api.MaxBatchSize {
		end := min(start+api.MaxBatchSize, len(in))
		if _, err := b.c.UpsertLeads(ctx, in[start:end]); err != nil {
			return err
		}
		progress(end)
	}
	return nil
}

func (b *httpBackend) Get(ctx context.Context, ref string, external bool) (*lead.Lead, []store.AuditEvent, error) {
	var (
		r   *api.LeadWithAudit
		err error
	)
	if external {
		r, err = b.c.GetLeadByExternalID(ctx, ref)
	} else {
		r, err = b.c.GetLead(ctx, ref)
	}
	if err != nil {
		return nil, nil, err
	}
	return r.Lead, r.Audit, nil
}

func (b *httpBackend) Apply(ctx context.Context, id string, a store.Activity) (*lead.Lead, error) {
	return b.c.Apply(ctx, id, api.ActivityRequest{Kind: a.Kind, Reason: a.Reason, Amount: a.Amount})
}

func (b *httpBackend) List(ctx context.Context, f store.ListFilter) (store.Page, error) {
	return b.c.ListLeads(ctx, f)
}

func (b *httpBackend) Close() error { return nil }

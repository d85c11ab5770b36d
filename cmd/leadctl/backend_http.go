package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/api/client"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

type httpBackend struct {
	c           *client.Client
	tokenSource string // where the token came from, for the message when the server refuses it
}

func newHTTPBackend(server, token, tokenSource string) *httpBackend {
	return &httpBackend{c: &client.Client{BaseURL: server, Token: token}, tokenSource: tokenSource}
}

// explain adds to a 401 what leadctl sent and how to fix it: the server's message cannot know where
// the token came from.
func (b *httpBackend) explain(err error) error {
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return fmt.Errorf("%w\n  the server's certificate is not signed by a CA leadctl trusts: pass --ca-file CA.pem "+
			"(or LEADCTL_CA_FILE) with the CA that issued it, e.g. the ca.crt of its cert-manager Secret", err)
	}
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status == http.StatusUnauthorized {
		return fmt.Errorf("%w\n  leadctl sent the token from %s. The server accepts the tokens in its --api-token-file: "+
			"give leadctl that file, or a file with one of its lines (TOKEN or NAME:TOKEN), as --token-file, or the TOKEN in LEADCTL_TOKEN",
			err, b.tokenSource)
	}
	return err
}

// UpsertLeads sends batches of api.MaxBatchSize. Each batch is all or nothing on the server; a file
// larger than one batch can therefore stop part way, and progress says how far it got.
func (b *httpBackend) UpsertLeads(ctx context.Context, in []store.LeadInput, progress func(int)) error {
	for start := 0; start < len(in); start += api.MaxBatchSize {
		end := min(start+api.MaxBatchSize, len(in))
		if _, err := b.c.UpsertLeads(ctx, in[start:end]); err != nil {
			return b.explain(err)
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
		return nil, nil, b.explain(err)
	}
	return r.Lead, r.Audit, nil
}

func (b *httpBackend) Apply(ctx context.Context, id string, a store.Activity) (*lead.Lead, error) {
	l, err := b.c.Apply(ctx, id, api.ActivityRequest{Kind: a.Kind, Reason: a.Reason, Amount: a.Amount})
	return l, b.explain(err)
}

func (b *httpBackend) List(ctx context.Context, f store.ListFilter) (store.Page, error) {
	p, err := b.c.ListLeads(ctx, f)
	return p, b.explain(err)
}

func (b *httpBackend) Close() error { return nil }

package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/store"
)

// UpsertAccount creates or replaces the account of a domain.
func (s *Store) UpsertAccount(ctx context.Context, a store.Account) error {
	a, err := store.NormalizeAccount(a)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO accounts (domain, name, owner, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (domain) DO UPDATE SET name = excluded.name, owner = excluded.owner, updated_at = excluded.updated_at`,
		a.Domain, a.Name, a.Owner, s.opts.Now()); err != nil {
		return fmt.Errorf("upsert account: %w", err)
	}
	return nil
}

// GetAccount returns the account of a domain.
func (s *Store) GetAccount(ctx context.Context, domain string) (*store.Account, error) {
	var (
		a  store.Account
		at time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT domain, name, owner, updated_at FROM accounts WHERE domain = $1`,
		strings.ToLower(strings.TrimSpace(domain))).Scan(&a.Domain, &a.Name, &a.Owner, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get account %q: %w", domain, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %q: %w", domain, err)
	}
	a.UpdatedAt = at.UTC()
	return &a, nil
}

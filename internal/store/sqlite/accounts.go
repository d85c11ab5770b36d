package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/leadops/leadops/internal/store"
)

// UpsertAccount creates or replaces the account of a domain.
func (s *Store) UpsertAccount(ctx context.Context, a store.Account) error {
	a, err := store.NormalizeAccount(a)
	if err != nil {
		return err
	}
	now := s.opts.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (domain, name, owner, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain) DO UPDATE SET name = excluded.name, owner = excluded.owner, updated_at = excluded.updated_at`,
			a.Domain, a.Name, a.Owner, now.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("upsert account: %w", err)
	}
	return nil
}

// GetAccount returns the account of a domain.
func (s *Store) GetAccount(ctx context.Context, domain string) (*store.Account, error) {
	var (
		a  store.Account
		at int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT domain, name, owner, updated_at FROM accounts WHERE domain = ?`,
		strings.ToLower(strings.TrimSpace(domain))).Scan(&a.Domain, &a.Name, &a.Owner, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get account %q: %w", domain, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %q: %w", domain, err)
	}
	a.UpdatedAt = fromMicros(at)
	return &a, nil
}

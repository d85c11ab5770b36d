package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/store/internal/core"
)

// UpsertAccount creates or replaces an account and claims its domains (a domain another account
// had moves to this one).
func (s *Store) UpsertAccount(ctx context.Context, a store.Account) error {
	a, err := store.NormalizeAccount(a)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (domain, name, owner, company_key, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (domain) DO UPDATE SET name = excluded.name, owner = excluded.owner,
				company_key = excluded.company_key, updated_at = excluded.updated_at`,
			a.Domain, a.Name, a.Owner, a.CompanyKey, s.opts.Now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM account_domains WHERE account = $1 AND NOT (domain = ANY($2))`, a.Domain, a.Domains); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO account_domains (domain, account) SELECT d, $2 FROM unnest($1::text[]) AS d
			ON CONFLICT (domain) DO UPDATE SET account = excluded.account`, a.Domains, a.Domain)
		return err
	})
	if err != nil {
		return fmt.Errorf("upsert account: %w", err)
	}
	return nil
}

const accountColumns = `a.domain, a.name, a.owner, a.company_key, a.updated_at`

// GetAccount returns the account one of whose domains is domain.
func (s *Store) GetAccount(ctx context.Context, domain string) (*store.Account, error) {
	as, err := s.queryAccounts(ctx, `SELECT `+accountColumns+` FROM account_domains d JOIN accounts a ON a.domain = d.account
		WHERE d.domain = $1`, strings.ToLower(strings.TrimSpace(domain)))
	if err != nil {
		return nil, fmt.Errorf("get account %q: %w", domain, err)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("get account %q: %w", domain, store.ErrNotFound)
	}
	return &as[0], nil
}

// FindAccounts returns the accounts owning any of domains or having any of companyKeys.
func (s *Store) FindAccounts(ctx context.Context, domains, companyKeys []string) ([]store.Account, error) {
	ds := make([]string, 0, len(domains))
	for _, d := range domains {
		ds = append(ds, strings.ToLower(strings.TrimSpace(d)))
	}
	keys := make([]string, 0, len(companyKeys))
	for _, k := range companyKeys {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if len(ds) == 0 && len(keys) == 0 {
		return nil, nil
	}
	as, err := s.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts a
		WHERE a.domain IN (SELECT account FROM account_domains WHERE domain = ANY($1))
			OR (a.company_key <> '' AND a.company_key = ANY($2))
		ORDER BY a.domain`, ds, keys)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return as, nil
}

// queryAccounts reads accounts and then their domains (primary first, the others in order).
func (s *Store) queryAccounts(ctx context.Context, q string, args ...any) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var (
		out  []store.Account
		keys []string
	)
	for rows.Next() {
		var (
			a  store.Account
			at time.Time
		)
		if err := rows.Scan(&a.Domain, &a.Name, &a.Owner, &a.CompanyKey, &at); err != nil {
			rows.Close()
			return nil, err
		}
		a.UpdatedAt = at.UTC()
		out = append(out, a)
		keys = append(keys, a.Domain)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT account, domain FROM account_domains WHERE account = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if err := core.AttachDomains(rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

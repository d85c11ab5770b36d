package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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
	now := s.opts.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (domain, name, owner, company_key, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (domain) DO UPDATE SET name = excluded.name, owner = excluded.owner,
				company_key = excluded.company_key, updated_at = excluded.updated_at`,
			a.Domain, a.Name, a.Owner, a.CompanyKey, now.UnixMicro()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_domains WHERE account = ?`, a.Domain); err != nil {
			return err
		}
		for _, d := range a.Domains {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_domains (domain, account) VALUES (?, ?)
				ON CONFLICT (domain) DO UPDATE SET account = excluded.account`, d, a.Domain); err != nil {
				return err
			}
		}
		return nil
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
		WHERE d.domain = ?`, strings.ToLower(strings.TrimSpace(domain)))
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
	var (
		conds []string
		args  []any
	)
	if len(domains) > 0 {
		conds = append(conds, `a.domain IN (SELECT account FROM account_domains WHERE domain IN (`+placeholders(len(domains))+`))`)
		for _, d := range domains {
			args = append(args, strings.ToLower(strings.TrimSpace(d)))
		}
	}
	var keys []any
	for _, k := range companyKeys {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		conds = append(conds, `(a.company_key <> '' AND a.company_key IN (`+placeholders(len(keys))+`))`)
		args = append(args, keys...)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	as, err := s.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE `+strings.Join(conds, " OR ")+` ORDER BY a.domain`, args...)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	return as, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// queryAccounts reads accounts and then their domains (primary first, the others in order).
func (s *Store) queryAccounts(ctx context.Context, q string, args ...any) ([]store.Account, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var (
		out  []store.Account
		keys []any
	)
	for rows.Next() {
		var (
			a  store.Account
			at int64
		)
		if err := rows.Scan(&a.Domain, &a.Name, &a.Owner, &a.CompanyKey, &at); err != nil {
			rows.Close()
			return nil, err
		}
		a.UpdatedAt = fromMicros(at)
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
	rows, err = s.r.QueryContext(ctx, `SELECT account, domain FROM account_domains WHERE account IN (`+placeholders(len(keys))+`)`, keys...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if err := core.AttachDomains(rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

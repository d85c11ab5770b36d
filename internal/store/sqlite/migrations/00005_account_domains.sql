-- Accounts have several domains and an optional normalized company key (lead-to-account matching,
-- internal/accountmatch). account_domains maps each domain to its account (accounts.domain, the
-- account's key and primary domain); every existing account keeps its one domain. Both lookups are
-- indexed: a domain by the primary key, a company key by a partial index (most accounts have none).

-- +goose Up
ALTER TABLE accounts ADD COLUMN company_key TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_company_key_idx ON accounts (company_key) WHERE company_key <> '';
CREATE TABLE account_domains (
    domain  TEXT PRIMARY KEY,
    account TEXT NOT NULL
);
CREATE INDEX account_domains_account_idx ON account_domains (account);
INSERT INTO account_domains (domain, account) SELECT domain, domain FROM accounts;

-- +goose Down
DROP TABLE account_domains;
DROP INDEX accounts_company_key_idx;
ALTER TABLE accounts DROP COLUMN company_key;

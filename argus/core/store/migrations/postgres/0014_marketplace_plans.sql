-- PostgreSQL dialect of ../0014_marketplace_plans.sql: Marketplace plans per account. SQLite's
-- COLLATE NOCASE key is a unique index on lower(account) here.
CREATE TABLE IF NOT EXISTS gh_marketplace_accounts (
    account TEXT COLLATE "C" PRIMARY KEY,
    account_id BIGINT,
    plan TEXT COLLATE "C" NOT NULL,
    effective_at TEXT COLLATE "C" NOT NULL,
    pending_plan TEXT COLLATE "C",
    pending_effective_at TEXT COLLATE "C",
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS gh_marketplace_accounts_nocase ON gh_marketplace_accounts (lower(account));
